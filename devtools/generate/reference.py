"""Reference data of the demo retailer: Polish names and cities, stores, products, parcel lockers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

MALE_FIRST = [
    "Jan",
    "Piotr",
    "Krzysztof",
    "Andrzej",
    "Tomasz",
    "Paweł",
    "Michał",
    "Marcin",
    "Jakub",
    "Adam",
    "Łukasz",
    "Mateusz",
    "Marek",
    "Grzegorz",
    "Wojciech",
    "Kamil",
    "Maciej",
    "Dariusz",
    "Rafał",
    "Szymon",
]
FEMALE_FIRST = [
    "Anna",
    "Maria",
    "Katarzyna",
    "Małgorzata",
    "Agnieszka",
    "Barbara",
    "Ewa",
    "Magdalena",
    "Joanna",
    "Aleksandra",
    "Monika",
    "Zofia",
    "Natalia",
    "Karolina",
    "Marta",
    "Julia",
    "Beata",
    "Dorota",
    "Paulina",
    "Ola",
]
# (masculine, feminine) forms
LAST_NAMES = [
    ("Nowak", "Nowak"),
    ("Kowalski", "Kowalska"),
    ("Wiśniewski", "Wiśniewska"),
    ("Wójcik", "Wójcik"),
    ("Kowalczyk", "Kowalczyk"),
    ("Kamiński", "Kamińska"),
    ("Lewandowski", "Lewandowska"),
    ("Zieliński", "Zielińska"),
    ("Szymański", "Szymańska"),
    ("Woźniak", "Woźniak"),
    ("Dąbrowski", "Dąbrowska"),
    ("Kozłowski", "Kozłowska"),
    ("Jankowski", "Jankowska"),
    ("Mazur", "Mazur"),
    ("Kwiatkowski", "Kwiatkowska"),
    ("Krawczyk", "Krawczyk"),
    ("Piotrowski", "Piotrowska"),
    ("Grabowski", "Grabowska"),
    ("Nowakowski", "Nowakowska"),
    ("Pawłowski", "Pawłowska"),
    ("Michalski", "Michalska"),
    ("Król", "Król"),
    ("Wieczorek", "Wieczorek"),
    ("Jabłoński", "Jabłońska"),
    ("Wróbel", "Wróbel"),
    ("Majewski", "Majewska"),
    ("Olszewski", "Olszewska"),
    ("Stępień", "Stępień"),
    ("Malinowski", "Malinowska"),
    ("Jaworski", "Jaworska"),
]
# city, population weight, postal prefix, region, latitude, longitude, landline area code
CITIES = [
    ("Warszawa", 18, "00", "mazowieckie", 52.23, 21.01, "22"),
    ("Kraków", 8, "30", "małopolskie", 50.06, 19.94, "12"),
    ("Wrocław", 7, "50", "dolnośląskie", 51.11, 17.03, "71"),
    ("Łódź", 7, "90", "łódzkie", 51.76, 19.46, "42"),
    ("Poznań", 6, "60", "wielkopolskie", 52.41, 16.93, "61"),
    ("Gdańsk", 5, "80", "pomorskie", 54.35, 18.65, "58"),
    ("Szczecin", 4, "70", "zachodniopomorskie", 53.43, 14.55, "91"),
    ("Bydgoszcz", 4, "85", "kujawsko-pomorskie", 53.12, 18.01, "52"),
    ("Lublin", 4, "20", "lubelskie", 51.25, 22.57, "81"),
    ("Katowice", 4, "40", "śląskie", 50.26, 19.02, "32"),
    ("Białystok", 3, "15", "podlaskie", 53.13, 23.16, "85"),
    ("Gdynia", 3, "81", "pomorskie", 54.52, 18.53, "58"),
    ("Częstochowa", 2, "42", "śląskie", 50.81, 19.12, "34"),
    ("Rzeszów", 2, "35", "podkarpackie", 50.04, 22.00, "17"),
    ("Toruń", 2, "87", "kujawsko-pomorskie", 53.01, 18.60, "56"),
    ("Kielce", 2, "25", "świętokrzyskie", 50.87, 20.63, "41"),
    ("Olsztyn", 2, "10", "warmińsko-mazurskie", 53.78, 20.49, "89"),
    ("Opole", 1, "45", "opolskie", 50.67, 17.93, "77"),
    ("Zielona Góra", 1, "65", "lubuskie", 51.94, 15.51, "68"),
    ("Gorzów Wielkopolski", 1, "66", "lubuskie", 52.73, 15.24, "95"),
]
STREETS = [
    "Marszałkowska",
    "Długa",
    "Piotrkowska",
    "Świętojańska",
    "Floriańska",
    "Mickiewicza",
    "Kościuszki",
    "Słowackiego",
    "Sienkiewicza",
    "Jana Pawła II",
    "Grunwaldzka",
    "Armii Krajowej",
]
# streets people live on (prefix, name): the commonest street names of Polish towns
HOME_STREETS = [
    ("ul.", "Kwiatowa"),
    ("ul.", "Polna"),
    ("ul.", "Leśna"),
    ("ul.", "Słoneczna"),
    ("ul.", "Krótka"),
    ("ul.", "Szkolna"),
    ("ul.", "Ogrodowa"),
    ("ul.", "Lipowa"),
    ("ul.", "Brzozowa"),
    ("ul.", "Łąkowa"),
    ("ul.", "Kościelna"),
    ("ul.", "Sosnowa"),
    ("ul.", "Zielona"),
    ("ul.", "Parkowa"),
    ("ul.", "Akacjowa"),
    ("ul.", "Jasna"),
    ("ul.", "Kolejowa"),
    ("ul.", "Spacerowa"),
    ("ul.", "Klonowa"),
    ("ul.", "Cicha"),
    ("ul.", "Wiśniowa"),
    ("ul.", "Dworcowa"),
    ("ul.", "Jesionowa"),
    ("ul.", "Morelowa"),
    ("ul.", "Mickiewicza"),
    ("ul.", "Kościuszki"),
    ("ul.", "Słowackiego"),
    ("ul.", "Sienkiewicza"),
    ("ul.", "Kopernika"),
    ("ul.", "Chopina"),
    ("ul.", "Konopnickiej"),
    ("ul.", "Reymonta"),
    ("ul.", "Żeromskiego"),
    ("ul.", "Prusa"),
    ("ul.", "Orzeszkowej"),
    ("ul.", "Piłsudskiego"),
    ("ul.", "Traugutta"),
    ("ul.", "Wyszyńskiego"),
    ("ul.", "Długa"),
    ("ul.", "Nowa"),
    ("ul.", "Szeroka"),
    ("ul.", "Graniczna"),
    ("ul.", "Wojska Polskiego"),
    ("ul.", "3 Maja"),
    ("ul.", "Armii Krajowej"),
    ("ul.", "Powstańców Śląskich"),
    ("ul.", "Rynek"),
    ("ul.", "Mostowa"),
    ("al.", "Jana Pawła II"),
    ("al.", "Niepodległości"),
    ("al.", "Solidarności"),
    ("al.", "Jerozolimskie"),
    ("pl.", "Wolności"),
    ("os.", "Słoneczne"),
]
CATEGORIES = {
    "odzież damska": (40, 300),
    "odzież męska": (40, 300),
    "obuwie": (90, 450),
    "dom i wnętrze": (15, 400),
    "kosmetyki": (10, 150),
    "elektronika": (60, 2500),
    "sport": (30, 700),
    "zabawki": (20, 250),
}
BRANDS = [
    "Nordia",
    "Vistula Home",
    "Kropka",
    "Mazovia",
    "Baltica",
    "Tatra Sport",
    "Luna",
    "Polmark",
    "Orzeł",
    "Wawel Style",
]
# The everyday forms (diminutives) of the first names above, as people write them on a web account
# while their loyalty card carries the full name: "Kasia" for Katarzyna, "Kuba" for Jakub. A name with
# no form in common written use (Michał, or Ola, itself the everyday form of Aleksandra) maps to ().
# The demo world's answer to which web account names are variants of which member names; the warehouse
# keeps its own list (it must not be derived from the generator).
DIMINUTIVES: dict[str, tuple[str, ...]] = {
    "Jan": ("Janek", "Jasiek"),
    "Piotr": ("Piotrek",),
    "Krzysztof": ("Krzysiek", "Krzyś"),
    "Andrzej": ("Jędrek", "Andrzejek"),
    "Tomasz": ("Tomek",),
    "Paweł": ("Pawełek",),
    "Michał": (),
    "Marcin": ("Marcinek",),
    "Jakub": ("Kuba", "Kubuś"),
    "Adam": ("Adaś",),
    "Łukasz": ("Łukaszek",),
    "Mateusz": ("Mati",),
    "Marek": ("Mareczek",),
    "Grzegorz": ("Grzesiek", "Grześ"),
    "Wojciech": ("Wojtek",),
    "Kamil": ("Kamilek",),
    "Maciej": ("Maciek",),
    "Dariusz": ("Darek",),
    "Rafał": ("Rafałek",),
    "Szymon": ("Szymek",),
    "Anna": ("Ania", "Anka"),
    "Maria": ("Marysia",),
    "Katarzyna": ("Kasia", "Kaśka"),
    "Małgorzata": ("Gosia", "Małgosia"),
    "Agnieszka": ("Aga", "Agusia"),
    "Barbara": ("Basia",),
    "Ewa": ("Ewka",),
    "Magdalena": ("Magda", "Madzia"),
    "Joanna": ("Asia", "Joasia"),
    "Aleksandra": ("Ola", "Olka"),
    "Monika": ("Monia",),
    "Zofia": ("Zosia",),
    "Natalia": ("Natka",),
    "Karolina": ("Karolcia",),
    "Marta": ("Martusia",),
    "Julia": ("Julka",),
    "Beata": ("Beatka",),
    "Dorota": ("Dorotka", "Dora"),
    "Paulina": ("Paula",),
    "Ola": (),
}
EMAIL_DOMAINS = ["gmail.com", "wp.pl", "onet.pl", "o2.pl", "interia.pl", "gmail.com", "outlook.com"]
PLACEHOLDER_EMAILS = ["brak@brak.pl", "nie@podano.pl", "test@test.pl", "a@a.pl", "klient@sklep.pl"]
PLACEHOLDER_PHONES = ["000000000", "123456789", "111111111", "999999999"]

ASCII = str.maketrans("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ", "acelnoszzACELNOSZZ")


def ascii_fold(text: str) -> str:
    return text.translate(ASCII)


def ean13_check_digit(first12: np.ndarray) -> np.ndarray:
    """EAN-13 check digits for an array of 12-digit integers."""
    digits = np.stack([(first12 // 10 ** (11 - i)) % 10 for i in range(12)], axis=1)
    weights = np.array([1, 3] * 6)
    return (10 - (digits * weights).sum(axis=1) % 10) % 10


@dataclass(frozen=True)
class Reference:
    stores: pd.DataFrame
    products: pd.DataFrame
    lockers: pd.DataFrame
    city_weights: np.ndarray


def build_reference(rng: np.random.Generator, n_stores: int, n_products: int) -> Reference:
    weights = np.array([c[1] for c in CITIES], dtype=float)
    # stores: every big city gets one first, then more where more people live
    per_city = np.zeros(len(CITIES), dtype=int)
    for _ in range(n_stores):
        per_city[int(np.argmax(weights / (per_city + 1)))] += 1
    rows = []
    n = 0
    for ci, count in enumerate(per_city):
        name, _, postal, region, lat, lon, area = CITIES[ci]
        for k in range(count):
            n += 1
            rows.append(
                {
                    "store_id": f"S{n:03d}",
                    "name": f"{name} {['Centrum', 'Galeria', 'Park', 'Północ', 'Południe'][k % 5]}"
                    + (f" {k // 5 + 1}" if k >= 5 else ""),
                    "city": name,
                    "address": f"ul. {STREETS[(n * 7) % len(STREETS)]} {(n * 13) % 120 + 1}",
                    "postal_code": f"{postal}-{(n * 37) % 900 + 100:03d}",
                    "region": region,
                    "store_type": "flagship" if k == 0 and weights[ci] >= 7 else "standard",
                    "store_phone": f"+48 {area} {(n * 7919) % 900 + 100} {(n * 31) % 90 + 10} {(n * 17) % 90 + 10}",
                    "opened_at": f"{2005 + (n * 3) % 18}-{(n % 12) + 1:02d}-01",
                    "latitude": round(lat + ((n * 0.013) % 0.05), 4),
                    "longitude": round(lon + ((n * 0.017) % 0.05), 4),
                    "city_index": ci,
                }
            )
    stores = pd.DataFrame(rows)

    cats = list(CATEGORIES)
    cat_idx = rng.integers(0, len(cats), n_products)
    lo = np.array([CATEGORIES[cats[i]][0] for i in cat_idx], dtype=float)
    hi = np.array([CATEGORIES[cats[i]][1] for i in cat_idx], dtype=float)
    price = np.exp(rng.uniform(np.log(lo), np.log(hi)))
    price = np.floor(price) + 0.99
    first12 = 590_000_000_000 + np.arange(n_products, dtype=np.int64) * 37 + 1000
    ean = first12 * 10 + ean13_check_digit(first12)
    products = pd.DataFrame(
        {
            "sku": [f"SKU-{i + 1:05d}" for i in range(n_products)],
            "name": [
                f"{cats[c].split()[0].capitalize()} {BRANDS[b]} {i + 1}"
                for i, (c, b) in enumerate(
                    zip(cat_idx, rng.integers(0, len(BRANDS), n_products), strict=True)
                )
            ],
            "category": [cats[c] for c in cat_idx],
            "brand": [BRANDS[(i * 7) % len(BRANDS)] for i in range(n_products)],
            "base_price_pln": price.round(2),
            "vat_rate": np.where(np.isin(cat_idx, [cats.index("kosmetyki")]), 0.23, 0.23),
            "ean": ean.astype(str),
            "active": rng.random(n_products) > 0.03,
            # popularity: a long tail
            "popularity": rng.pareto(1.2, n_products) + 0.05,
        }
    )
    lockers = pd.DataFrame(
        [
            {
                "locker_id": f"{ascii_fold(c[0])[:3].upper()}{k + 1:02d}M",
                "city": c[0],
                "postal_code": f"{c[2]}-{(k * 41) % 900 + 100:03d}",
                "city_index": ci,
            }
            for ci, c in enumerate(CITIES)
            for k in range(3)
        ]
    )
    return Reference(stores=stores, products=products, lockers=lockers, city_weights=weights / weights.sum())
