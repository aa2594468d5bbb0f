"""`omni report`: a static HTML KPI dashboard rendered from the published marts.

One self-contained file (`outputs/report/index.html`, plotly.js inlined: it opens without a network),
read from `outputs/published/marts.duckdb`, never from the warehouse the pipeline writes. Each section
is a query and a chart; a section whose mart is missing says so instead of failing the report.
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from omni.publish import published_dir
from omni.settings import Paths

PALETTE = ["#1f5f8b", "#e07b39", "#3a9d5d", "#c44e52", "#8172b2", "#937860", "#da8bc3", "#8c8c8c"]


@dataclass(frozen=True)
class Section:
    title: str
    explanation: str
    needs: tuple[str, ...]
    chart: Callable[[duckdb.DuckDBPyConnection], go.Figure]


def _fig(fig: go.Figure, title: str) -> go.Figure:
    fig.update_layout(
        title=title,
        template="plotly_white",
        colorway=PALETTE,
        height=380,
        margin={"l": 60, "r": 20, "t": 60, "b": 50},
        legend={"orientation": "h", "y": -0.2},
    )
    return fig


def _df(con: duckdb.DuckDBPyConnection, sql: str) -> pd.DataFrame:
    return con.execute(sql).df()


def channel_mix(con) -> go.Figure:
    d = _df(
        con,
        """select ordering_channel, fulfilment_type, count(*) as orders, sum(order_total_pln) as revenue
                    from fct_orders group by all order by all""",
    )
    fig = go.Figure(
        [
            go.Bar(
                name=f,
                x=g["ordering_channel"],
                y=g["revenue"],
                customdata=g["orders"],
                hovertemplate="%{x}: %{y:,.0f} PLN, %{customdata} orders",
            )
            for f, g in d.groupby("fulfilment_type")
        ]
    )
    fig.update_layout(barmode="stack", yaxis_title="revenue, PLN")
    return _fig(fig, "Revenue by ordering channel and fulfilment")


def daily_revenue(con) -> go.Figure:
    d = _df(
        con,
        """select placed_date, ordering_channel, sum(order_total_pln) as revenue
                    from fct_orders group by all order by all""",
    )
    fig = go.Figure(
        [
            go.Scatter(name=c, x=g["placed_date"], y=g["revenue"], mode="lines")
            for c, g in d.groupby("ordering_channel")
        ]
    )
    fig.update_layout(yaxis_title="revenue, PLN")
    return _fig(fig, "Daily revenue by channel")


def funnel(con) -> go.Figure:
    d = _df(
        con,
        """
        select platform,
               count(*) as sessions,
               count(*) filter (where product_view_count > 0) as product_views,
               count(*) filter (where has_added_to_cart) as added_to_cart,
               count(*) filter (where has_begun_checkout) as checkout,
               count(*) filter (where has_purchased) as purchased
        from fct_sessions group by platform order by platform""",
    )
    stages = ["sessions", "product_views", "added_to_cart", "checkout", "purchased"]
    fig = go.Figure(
        [
            go.Funnel(
                name=row["platform"],
                y=[s.replace("_", " ") for s in stages],
                x=[row[s] for s in stages],
                textinfo="value+percent initial",
            )
            for _, row in d.iterrows()
        ]
    )
    return _fig(fig, "Session funnel, web and app")


def cohorts(con) -> go.Figure:
    d = _df(
        con,
        """
        select strftime(cohort_month, '%Y-%m') as cohort, months_since_first_order as months_since,
               retention_rate as retained
        from kpi_cohort_retention
        where customer_group = 'all_buyers'
        order by cohort, months_since""",
    )
    table = d.pivot(index="cohort", columns="months_since", values="retained")
    fig = go.Figure(
        go.Heatmap(
            z=table.to_numpy(),
            x=[f"+{m}" for m in table.columns],
            y=list(table.index),
            colorscale="Blues",
            zmin=0,
            zmax=1,
            hovertemplate="%{y} %{x} months: %{z:.0%}",
        )
    )
    fig.update_layout(xaxis_title="months since first order", yaxis_title="cohort (first order month)")
    fig.update_yaxes(type="category")
    return _fig(fig, "Retention by monthly cohort (share of the cohort ordering again)")


def attribution(con) -> go.Figure:
    d = _df(
        con,
        """select attribution_model as model, channel, sum(attributed_revenue_pln) as revenue
                    from attribution_by_channel group by all order by all""",
    )
    fig = go.Figure([go.Bar(name=m, x=g["channel"], y=g["revenue"]) for m, g in d.groupby("model")])
    fig.update_layout(barmode="group", yaxis_title="attributed revenue, PLN")
    return _fig(fig, "Attributed revenue by channel, per attribution model")


def service(con) -> go.Figure:
    d = _df(
        con,
        """select channel,
                           sum(total_first_response_minutes) / nullif(sum(responded_ticket_count), 0)
                               as first_response_minutes,
                           sum(first_contact_resolution_count) / nullif(sum(ticket_count), 0) as fcr,
                           sum(csat_score_sum) / nullif(sum(csat_response_count), 0) as csat
                    from kpi_daily_service group by all order by all""",
    )
    fig = go.Figure(
        [
            go.Bar(name="first response, minutes", x=d["channel"], y=d["first_response_minutes"], yaxis="y"),
            go.Scatter(
                name="first-contact resolution",
                x=d["channel"],
                y=d["fcr"],
                yaxis="y2",
                mode="markers",
                marker={"size": 14},
            ),
        ]
    )
    fig.update_layout(
        yaxis={"title": "minutes"},
        yaxis2={"title": "share", "overlaying": "y", "side": "right", "range": [0, 1]},
    )
    return _fig(fig, "Service per channel: first response time and first-contact resolution")


def nps(con) -> go.Figure:
    d = _df(
        con,
        """select dimension_name, dimension_value, nps, response_count from kpi_nps
                    where dimension_name in ('overall', 'touchpoint_channel', 'lifecycle_stage')
                    order by dimension_name, dimension_value""",
    )
    fig = go.Figure(
        [
            go.Bar(
                name=name.replace("_", " "),
                x=g["dimension_value"],
                y=g["nps"],
                customdata=g["response_count"],
                hovertemplate="%{x}: NPS %{y:.1f} (%{customdata} answers)",
            )
            for name, g in d.groupby("dimension_name", sort=False)
        ]
    )
    fig.update_layout(yaxis_title="NPS", yaxis_range=[-100, 100])
    return _fig(fig, "Net Promoter Score overall, by channel and by lifecycle stage")


SECTIONS = [
    Section(
        "Channel mix",
        "Where orders are placed (web, app, store) and how they are fulfilled.",
        ("fct_orders",),
        channel_mix,
    ),
    Section("Revenue over time", "Daily revenue per ordering channel.", ("fct_orders",), daily_revenue),
    Section(
        "Funnel",
        "Sessions that viewed a product, added to cart, began checkout and bought.",
        ("fct_sessions",),
        funnel,
    ),
    Section(
        "Cohorts",
        "Customers by month of first order, and the share ordering in later months.",
        ("fct_orders",),
        cohorts,
    ),
    Section(
        "Attribution",
        "Revenue credited to each channel by the first-touch, last-touch, linear, "
        "time-decay and position-based models.",
        ("attribution_by_channel",),
        attribution,
    ),
    Section(
        "Service",
        "Helpdesk channels: average first response time and first-contact resolution.",
        ("kpi_daily_service",),
        service,
    ),
    Section(
        "Net Promoter Score",
        "NPS (% promoters 9-10 minus % detractors 0-6) by the channel the answer "
        "was about and by customer lifecycle stage.",
        ("kpi_nps",),
        nps,
    ),
]

# the headline cards: (card, KPI of marts.kpi_overview, its column), each KPI defined once there
# (revenue: the numerator of AOV)
HEADLINES = [
    ("orders", "orders", "kpi_value"),
    ("customers", "customers", "kpi_value"),
    ("revenue_pln", "aov_pln", "numerator"),
    ("aov_pln", "aov_pln", "kpi_value"),
    ("click_and_collect_share", "click_and_collect_share", "kpi_value"),
    ("multichannel_customer_share", "multichannel_customer_share", "kpi_value"),
    ("nps", "nps", "kpi_value"),
]


def render(paths: Paths, out: Path | None = None) -> Path:
    source = published_dir(paths) / "marts.duckdb"
    if not source.exists():
        raise FileNotFoundError(f"no published marts at {source}: run `omni build` (or `omni publish`) first")
    out = out or paths.outputs / "report" / "index.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(source), read_only=True)
    try:
        present = {t for (t,) in con.execute("select table_name from duckdb_tables()").fetchall()}
        version = source.resolve().parent.name
        kpis = {}
        if "kpi_overview" in present:  # else a publication without the KPI marts: cards show no value
            kpis = {
                kpi: {"kpi_value": value, "numerator": numerator}
                for kpi, value, numerator in con.execute(
                    "select kpi, kpi_value, numerator from kpi_overview"
                ).fetchall()
            }
        headlines = {card: kpis.get(kpi, {}).get(column) for card, kpi, column in HEADLINES}
        blocks, first = [], True
        for section in SECTIONS:
            missing = [t for t in section.needs if t not in present]
            if missing:
                blocks.append(
                    _section_html(
                        section, None, f"not available: the published marts have no {', '.join(missing)}"
                    )
                )
                continue
            fig = section.chart(con)
            div = pio.to_html(
                fig,
                full_html=False,
                include_plotlyjs="inline" if first else False,
                config={"displaylogo": False, "responsive": True},
            )
            first = False
            blocks.append(_section_html(section, div, None))
    finally:
        con.close()
    out.write_text(_page(headlines, blocks, version), encoding="utf-8")
    return out


def _section_html(section: Section, chart: str | None, note: str | None) -> str:
    body = f'<div class="chart">{chart}</div>' if chart else f'<p class="note">{html.escape(note or "")}</p>'
    return (
        f"<section><h2>{html.escape(section.title)}</h2><p>{html.escape(section.explanation)}</p>"
        f"{body}</section>"
    )


def _format(key: str, value) -> str:
    if value is None:
        return "n/a"
    if key.endswith("_share"):
        return f"{float(value):.1%}"
    if key.endswith("_pln"):
        return f"{float(value):,.0f} PLN".replace(",", " ")
    if key == "nps":
        return f"{float(value):+.1f}"
    return f"{int(value):,}".replace(",", " ")


def _page(headlines: dict, blocks: list[str], version: str) -> str:
    cards = "".join(
        f'<div class="card"><div class="value">{_format(k, v)}</div>'
        f'<div class="label">{html.escape(k.replace("_", " "))}</div></div>'
        for k, v in headlines.items()
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Omnichannel KPIs</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 0 auto; max-width: 1100px; padding: 24px; color: #222; }}
.cards {{ display: flex; flex-wrap: wrap; gap: 12px; margin: 16px 0 24px; }}
.card {{ flex: 1 1 150px; border: 1px solid #ddd; border-radius: 8px; padding: 12px; }}
.value {{ font-size: 1.5em; font-weight: 600; }} .label {{ color: #666; }}
section {{ margin-bottom: 32px; }} .note {{ color: #a33; }}
footer {{ color: #666; font-size: 0.9em; }}
</style></head><body>
<h1>Omnichannel KPIs</h1>
<div class="cards">{cards}</div>
{"".join(blocks)}
<footer>Rendered {time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())} from published marts version
{html.escape(version)}. Definitions: the marts' documentation (dbt docs).</footer>
</body></html>
"""
