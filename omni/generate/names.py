"""Small embedded vocabularies: Polish names, cities, streets, products, texts.

Weights are rough popularity figures; they only shape the distributions.
"""

from __future__ import annotations

# (name, ascii form, weight)
FEMALE_FIRST = [
    ("Anna", "anna", 30), ("Maria", "maria", 25), ("Katarzyna", "katarzyna", 22), ("Małgorzata", "malgorzata", 20),
    ("Agnieszka", "agnieszka", 19), ("Barbara", "barbara", 14), ("Ewa", "ewa", 14), ("Krystyna", "krystyna", 10),
    ("Magdalena", "magdalena", 12), ("Elżbieta", "elzbieta", 11), ("Joanna", "joanna", 12), ("Aleksandra", "aleksandra", 11),
    ("Monika", "monika", 10), ("Zofia", "zofia", 9), ("Teresa", "teresa", 6), ("Danuta", "danuta", 5),
    ("Natalia", "natalia", 9), ("Julia", "julia", 9), ("Karolina", "karolina", 9), ("Marta", "marta", 9),
    ("Beata", "beata", 7), ("Dorota", "dorota", 7), ("Halina", "halina", 5), ("Jadwiga", "jadwiga", 4),
    ("Jolanta", "jolanta", 6), ("Iwona", "iwona", 6), ("Grażyna", "grazyna", 5), ("Paulina", "paulina", 7),
    ("Justyna", "justyna", 7), ("Alicja", "alicja", 6), ("Zuzanna", "zuzanna", 6), ("Hanna", "hanna", 6),
    ("Wiktoria", "wiktoria", 5), ("Weronika", "weronika", 5), ("Emilia", "emilia", 4), ("Oliwia", "oliwia", 4),
    ("Patrycja", "patrycja", 5), ("Sylwia", "sylwia", 5), ("Renata", "renata", 4), ("Urszula", "urszula", 4),
    ("Izabela", "izabela", 4), ("Kinga", "kinga", 3), ("Łucja", "lucja", 2), ("Gabriela", "gabriela", 3),
]
MALE_FIRST = [
    ("Piotr", "piotr", 28), ("Krzysztof", "krzysztof", 26), ("Andrzej", "andrzej", 24), ("Tomasz", "tomasz", 22),
    ("Jan", "jan", 20), ("Paweł", "pawel", 20), ("Michał", "michal", 20), ("Marcin", "marcin", 18),
    ("Stanisław", "stanislaw", 10), ("Jakub", "jakub", 15), ("Adam", "adam", 15), ("Marek", "marek", 15),
    ("Łukasz", "lukasz", 15), ("Grzegorz", "grzegorz", 13), ("Mateusz", "mateusz", 13), ("Wojciech", "wojciech", 12),
    ("Mariusz", "mariusz", 10), ("Dariusz", "dariusz", 10), ("Zbigniew", "zbigniew", 9), ("Jerzy", "jerzy", 9),
    ("Maciej", "maciej", 10), ("Rafał", "rafal", 9), ("Robert", "robert", 9), ("Kamil", "kamil", 9),
    ("Tadeusz", "tadeusz", 6), ("Jacek", "jacek", 7), ("Bartosz", "bartosz", 8), ("Sławomir", "slawomir", 5),
    ("Kacper", "kacper", 6), ("Szymon", "szymon", 6), ("Dawid", "dawid", 6), ("Artur", "artur", 5),
    ("Filip", "filip", 5), ("Antoni", "antoni", 4), ("Ryszard", "ryszard", 5), ("Kazimierz", "kazimierz", 4),
    ("Henryk", "henryk", 4), ("Przemysław", "przemyslaw", 4), ("Sebastian", "sebastian", 5), ("Damian", "damian", 5),
    ("Adrian", "adrian", 4), ("Igor", "igor", 3), ("Bogdan", "bogdan", 3), ("Wiktor", "wiktor", 3),
]
# (male form, female form, ascii male, ascii female, weight)
SURNAMES = [
    ("Nowak", "Nowak", "nowak", "nowak", 30), ("Kowalski", "Kowalska", "kowalski", "kowalska", 25),
    ("Wiśniewski", "Wiśniewska", "wisniewski", "wisniewska", 20), ("Wójcik", "Wójcik", "wojcik", "wojcik", 18),
    ("Kowalczyk", "Kowalczyk", "kowalczyk", "kowalczyk", 17), ("Kamiński", "Kamińska", "kaminski", "kaminska", 17),
    ("Lewandowski", "Lewandowska", "lewandowski", "lewandowska", 16),
    ("Zieliński", "Zielińska", "zielinski", "zielinska", 15), ("Szymański", "Szymańska", "szymanski", "szymanska", 14),
    ("Woźniak", "Woźniak", "wozniak", "wozniak", 14), ("Dąbrowski", "Dąbrowska", "dabrowski", "dabrowska", 14),
    ("Kozłowski", "Kozłowska", "kozlowski", "kozlowska", 12), ("Jankowski", "Jankowska", "jankowski", "jankowska", 11),
    ("Mazur", "Mazur", "mazur", "mazur", 11), ("Wojciechowski", "Wojciechowska", "wojciechowski", "wojciechowska", 10),
    ("Kwiatkowski", "Kwiatkowska", "kwiatkowski", "kwiatkowska", 10), ("Krawczyk", "Krawczyk", "krawczyk", "krawczyk", 10),
    ("Kaczmarek", "Kaczmarek", "kaczmarek", "kaczmarek", 9), ("Piotrowski", "Piotrowska", "piotrowski", "piotrowska", 9),
    ("Grabowski", "Grabowska", "grabowski", "grabowska", 9), ("Zając", "Zając", "zajac", "zajac", 8),
    ("Pawłowski", "Pawłowska", "pawlowski", "pawlowska", 8), ("Michalski", "Michalska", "michalski", "michalska", 8),
    ("Król", "Król", "krol", "krol", 8), ("Wieczorek", "Wieczorek", "wieczorek", "wieczorek", 7),
    ("Jabłoński", "Jabłońska", "jablonski", "jablonska", 7), ("Wróbel", "Wróbel", "wrobel", "wrobel", 7),
    ("Nowakowski", "Nowakowska", "nowakowski", "nowakowska", 7), ("Majewski", "Majewska", "majewski", "majewska", 7),
    ("Olszewski", "Olszewska", "olszewski", "olszewska", 7), ("Stępień", "Stępień", "stepien", "stepien", 6),
    ("Malinowski", "Malinowska", "malinowski", "malinowska", 6), ("Jaworski", "Jaworska", "jaworski", "jaworska", 6),
    ("Adamczyk", "Adamczyk", "adamczyk", "adamczyk", 6), ("Dudek", "Dudek", "dudek", "dudek", 6),
    ("Nowicki", "Nowicka", "nowicki", "nowicka", 6), ("Pawlak", "Pawlak", "pawlak", "pawlak", 6),
    ("Górski", "Górska", "gorski", "gorska", 5), ("Witkowski", "Witkowska", "witkowski", "witkowska", 5),
    ("Walczak", "Walczak", "walczak", "walczak", 5), ("Sikora", "Sikora", "sikora", "sikora", 5),
    ("Baran", "Baran", "baran", "baran", 5), ("Rutkowski", "Rutkowska", "rutkowski", "rutkowska", 5),
    ("Michalak", "Michalak", "michalak", "michalak", 5), ("Szewczyk", "Szewczyk", "szewczyk", "szewczyk", 5),
    ("Ostrowski", "Ostrowska", "ostrowski", "ostrowska", 5), ("Tomaszewski", "Tomaszewska", "tomaszewski", "tomaszewska", 5),
    ("Pietrzak", "Pietrzak", "pietrzak", "pietrzak", 4), ("Zalewski", "Zalewska", "zalewski", "zalewska", 4),
    ("Wróblewski", "Wróblewska", "wroblewski", "wroblewska", 4), ("Marciniak", "Marciniak", "marciniak", "marciniak", 4),
    ("Jasiński", "Jasińska", "jasinski", "jasinska", 4), ("Zawadzki", "Zawadzka", "zawadzki", "zawadzka", 4),
    ("Bąk", "Bąk", "bak", "bak", 4), ("Jakubowski", "Jakubowska", "jakubowski", "jakubowska", 4),
    ("Sadowski", "Sadowska", "sadowski", "sadowska", 4), ("Duda", "Duda", "duda", "duda", 4),
    ("Włodarczyk", "Włodarczyk", "wlodarczyk", "wlodarczyk", 4), ("Wilk", "Wilk", "wilk", "wilk", 4),
    ("Chmielewski", "Chmielewska", "chmielewski", "chmielewska", 3), ("Borkowski", "Borkowska", "borkowski", "borkowska", 3),
    ("Sokołowski", "Sokołowska", "sokolowski", "sokolowska", 3), ("Szczepański", "Szczepańska", "szczepanski", "szczepanska", 3),
    ("Sawicki", "Sawicka", "sawicki", "sawicka", 3), ("Lis", "Lis", "lis", "lis", 3), ("Kubiak", "Kubiak", "kubiak", "kubiak", 3),
    ("Maciejewski", "Maciejewska", "maciejewski", "maciejewska", 3), ("Kalinowski", "Kalinowska", "kalinowski", "kalinowska", 3),
    ("Mazurek", "Mazurek", "mazurek", "mazurek", 3), ("Wysocki", "Wysocka", "wysocki", "wysocka", 3),
    ("Kołodziej", "Kołodziej", "kolodziej", "kolodziej", 3), ("Kaźmierczak", "Kaźmierczak", "kazmierczak", "kazmierczak", 3),
    ("Czarnecki", "Czarnecka", "czarnecki", "czarnecka", 3), ("Sobczak", "Sobczak", "sobczak", "sobczak", 3),
    ("Konieczny", "Konieczna", "konieczny", "konieczna", 2), ("Urban", "Urban", "urban", "urban", 3),
    ("Głowacki", "Głowacka", "glowacki", "glowacka", 2), ("Zakrzewski", "Zakrzewska", "zakrzewski", "zakrzewska", 2),
    ("Krajewski", "Krajewska", "krajewski", "krajewska", 2), ("Krupa", "Krupa", "krupa", "krupa", 2),
]

# (city, voivodeship, lat, lon, population in thousands, phone area code, postal code prefixes)
# Ordered: the first cities get stores first.
CITIES = [
    ("Warszawa", "mazowieckie", 52.2297, 21.0122, 1860, "22", ("00", "01", "02", "03", "04")),
    ("Kraków", "małopolskie", 50.0647, 19.9450, 800, "12", ("30", "31")),
    ("Wrocław", "dolnośląskie", 51.1079, 17.0385, 674, "71", ("50", "51", "52", "53", "54")),
    ("Poznań", "wielkopolskie", 52.4064, 16.9252, 540, "61", ("60", "61")),
    ("Gdańsk", "pomorskie", 54.3520, 18.6466, 487, "58", ("80",)),
    ("Łódź", "łódzkie", 51.7592, 19.4560, 658, "42", ("90", "91", "92", "93", "94")),
    ("Katowice", "śląskie", 50.2649, 19.0238, 285, "32", ("40",)),
    ("Lublin", "lubelskie", 51.2465, 22.5684, 334, "81", ("20",)),
    ("Szczecin", "zachodniopomorskie", 53.4285, 14.5528, 391, "91", ("70", "71")),
    ("Bydgoszcz", "kujawsko-pomorskie", 53.1235, 18.0084, 330, "52", ("85",)),
    ("Białystok", "podlaskie", 53.1325, 23.1688, 294, "85", ("15",)),
    ("Gdynia", "pomorskie", 54.5189, 18.5305, 243, "58", ("81",)),
    ("Rzeszów", "podkarpackie", 50.0412, 21.9991, 197, "17", ("35",)),
    ("Toruń", "kujawsko-pomorskie", 53.0138, 18.5984, 196, "56", ("87",)),
    ("Kielce", "świętokrzyskie", 50.8661, 20.6286, 186, "41", ("25",)),
    ("Olsztyn", "warmińsko-mazurskie", 53.7784, 20.4801, 170, "89", ("10",)),
    ("Częstochowa", "śląskie", 50.8118, 19.1203, 210, "34", ("42",)),
    ("Radom", "mazowieckie", 51.4027, 21.1471, 200, "48", ("26",)),
    ("Gliwice", "śląskie", 50.2945, 18.6714, 175, "32", ("44",)),
    ("Sosnowiec", "śląskie", 50.2863, 19.1041, 193, "32", ("41",)),
    ("Bielsko-Biała", "śląskie", 49.8224, 19.0584, 168, "33", ("43",)),
    ("Opole", "opolskie", 50.6751, 17.9213, 127, "77", ("45",)),
    ("Zielona Góra", "lubuskie", 51.9356, 15.5062, 139, "68", ("65",)),
    ("Gorzów Wielkopolski", "lubuskie", 52.7368, 15.2288, 120, "95", ("66",)),
    ("Płock", "mazowieckie", 52.5463, 19.7065, 116, "24", ("09",)),
    ("Elbląg", "warmińsko-mazurskie", 54.1522, 19.4088, 118, "55", ("82",)),
    ("Tarnów", "małopolskie", 50.0121, 20.9858, 108, "14", ("33",)),
    ("Koszalin", "zachodniopomorskie", 54.1944, 16.1722, 106, "94", ("75",)),
    ("Kalisz", "wielkopolskie", 51.7611, 18.0910, 98, "62", ("62",)),
    ("Legnica", "dolnośląskie", 51.2070, 16.1553, 98, "76", ("59",)),
    ("Zabrze", "śląskie", 50.3249, 18.7857, 170, "32", ("41",)),
]

STREETS = [
    "ul. Mickiewicza", "ul. Słowackiego", "ul. Kościuszki", "ul. Piłsudskiego", "ul. Sienkiewicza",
    "ul. Jana Pawła II", "ul. Długa", "ul. Polna", "ul. Lipowa", "ul. Ogrodowa", "ul. Kwiatowa",
    "ul. Szkolna", "ul. Leśna", "ul. Kolejowa", "ul. Dworcowa", "ul. Mazowiecka", "ul. Warszawska",
    "ul. Krakowska", "ul. Poznańska", "ul. Grunwaldzka", "al. Niepodległości", "al. Solidarności",
    "ul. Armii Krajowej", "ul. Konstytucji 3 Maja", "ul. Obrońców Westerplatte", "ul. Reymonta",
    "ul. Kopernika", "ul. Chopina", "ul. Żeromskiego", "ul. Prusa", "pl. Wolności", "ul. Rynek",
]
MALL_NAMES = ["Galeria Centrum", "Galeria Północna", "Centrum Handlowe Arena", "Pasaż Miejski",
              "Galeria Wisła", "Forum", "Galeria Pod Zegarem", "Plac Handlowy", "Centrum Park", "Galeria Jantar"]
STORE_TYPES = ["mall", "high_street", "retail_park", "outlet"]

# (domain, weight, is_gmail)
EMAIL_DOMAINS = [
    ("gmail.com", 34, True), ("wp.pl", 18, False), ("onet.pl", 14, False), ("o2.pl", 10, False),
    ("interia.pl", 8, False), ("outlook.com", 5, False), ("op.pl", 5, False), ("yahoo.com", 3, False),
    ("icloud.com", 3, False),
]
WORK_DOMAINS = ["firma.pl", "biuro.com.pl", "praca.pl", "uczelnia.edu.pl", "urzad.gov.pl", "szpital.pl"]
GMAIL_TAGS = ["+promo", "+sklep", "+zakupy", "+newsletter"]

PLACEHOLDER_EMAILS = ["brak@brak.pl", "nie@podano.pl", "brak@wp.pl", "x@x.pl", "klient@sklep.pl"]
PLACEHOLDER_PHONES = ["000000000", "123456789", "111111111", "999999999"]

# category -> (vat, price range PLN, item types, brands, popularity)
CATEGORIES = [
    ("Elektronika", 0.23, (39, 1499), ["Słuchawki", "Głośnik Bluetooth", "Smartwatch", "Powerbank", "Ładowarka",
     "Tablet", "Czytnik e-booków", "Kamera sportowa", "Mysz bezprzewodowa", "Klawiatura"],
     ["Sonix", "Voltra", "Nordtech", "Kivo", "Elmax"], 1.3),
    ("Dom i kuchnia", 0.23, (19, 899), ["Patelnia", "Czajnik", "Ekspres do kawy", "Blender", "Komplet garnków",
     "Kubek termiczny", "Pościel", "Ręcznik", "Lampka nocna", "Koc"], ["Domeo", "Ferro", "Lniana", "Kuchcik", "Casa"], 1.2),
    ("Moda", 0.23, (29, 499), ["Kurtka", "Bluza", "Koszulka", "Jeansy", "Sukienka", "Sweter", "Czapka", "Szalik",
     "Koszula", "Spódnica"], ["Urbano", "Mila", "Baltica", "North&Co", "Vista"], 1.4),
    ("Obuwie", 0.23, (79, 599), ["Sneakersy", "Botki", "Sandały", "Kalosze", "Półbuty", "Kapcie"],
     ["Stepka", "Urbano", "Tatra Sport", "Mila"], 0.9),
    ("Sport", 0.23, (19, 1999), ["Mata do jogi", "Hantle", "Rower stacjonarny", "Plecak", "Bidon",
     "Kijki trekkingowe", "Piłka", "Rolki"], ["Tatra Sport", "Fitline", "Kinetic", "Halny"], 0.9),
    ("Dziecko", 0.23, (9, 399), ["Klocki", "Puzzle", "Lalka", "Hulajnoga", "Plecak szkolny", "Kredki",
     "Gra planszowa", "Pluszak"], ["Bobo", "Mały Odkrywca", "Kreatywek", "Zabawix"], 0.8),
    ("Uroda", 0.23, (9, 299), ["Krem do twarzy", "Szampon", "Perfumy", "Zestaw kosmetyków", "Balsam",
     "Serum", "Pomadka"], ["Lawenda", "Aqua Vita", "Bella", "Natura"], 1.0),
    ("Książki", 0.05, (19, 89), ["Powieść", "Poradnik", "Atlas", "Kryminał", "Książka kucharska", "Biografia"],
     ["Wydawnictwo Rynek", "Literka", "Papirus"], 0.6),
    ("Ogród", 0.23, (19, 1299), ["Grill", "Leżak", "Wąż ogrodowy", "Donica", "Sekator", "Lampa solarna"],
     ["Zielnik", "Ferro", "Halny"], 0.5),
]
MODELS = ["Classic", "Pro", "Lite", "Max", "Mini", "Plus", "Eko", "Comfort", "Sport", "Premium", "Basic",
          "X1", "X2", "S3", "Air", "Urban", "Retro", "Nova"]
COLOURS = ["czarny", "biały", "granatowy", "szary", "czerwony", "zielony", "beżowy", "niebieski"]

RETURN_REASONS = ["Nie pasuje rozmiar", "Produkt niezgodny z opisem", "Zmiana decyzji", "Produkt uszkodzony",
                  "Dostawa za późno", "Inny kolor niż na zdjęciu"]

TICKET_SUBJECTS = [  # (subject, tags, about an order)
    ("Gdzie jest moja paczka?", "zamowienie,dostawa", True),
    ("Zwrot towaru", "zwrot", True),
    ("Uszkodzony produkt", "reklamacja", True),
    ("Odbiór w sklepie", "odbior_osobisty,click_and_collect", True),
    ("Zmiana adresu dostawy", "zamowienie,adres", True),
    ("Faktura do zamówienia", "faktura", True),
    ("Reklamacja zakupu w sklepie", "reklamacja,sklep", True),
    ("Pytanie o produkt", "produkt", False),
    ("Karta lojalnościowa", "lojalnosc", False),
    ("Rezygnacja z newslettera", "zgody,newsletter", False),
    ("Godziny otwarcia sklepu", "sklep", False),
]

NPS_COMMENTS = {
    "promoter": ["Szybka dostawa, polecam!", "Świetna obsługa w sklepie.", "Wszystko zgodnie z opisem.",
                 "Odbiór w sklepie bardzo wygodny.", "Super aplikacja, zamawiam regularnie."],
    "passive": ["Ok, ale mogłoby być taniej.", "Dostawa trwała dość długo.", "Bez zastrzeżeń.",
                "Aplikacja czasem się zawiesza."],
    "detractor": ["Paczka przyszła uszkodzona.", "Długo czekałem na zwrot pieniędzy.",
                  "Obsługa na czacie nie pomogła.", "Cena w sklepie inna niż w internecie!",
                  "Nie odebrałem zamówienia na czas, bałagan."],
}
CSAT_COMMENTS = ["Dziękuję za pomoc.", "Sprawnie i miło.", "Musiałem dzwonić kilka razy.",
                 "Konsultant bardzo kompetentny.", "Za długo czekałem na odpowiedź."]

SEARCH_TERMS = ["kurtka", "sluchawki", "prezent", "buty", "plecak", "czajnik", "promocja", "klocki",
                "perfumy", "grill", "smartwatch", "sukienka"]
