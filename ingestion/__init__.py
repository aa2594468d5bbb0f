"""dlt sources, one package per channel, and the pipeline that loads them into the raw layer."""

SOURCE_NAMES = ("reference", "webshop", "events", "pos", "loyalty", "marketing", "ads", "helpdesk", "surveys")
