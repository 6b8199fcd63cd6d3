"""The console's health view reads the signals Prometheus reads: each process's /metrics.

`jjj up` tells every process where the others serve their metrics
(JJJ_OBSERVABILITY__METRICS_PORTS); the console scrapes them each refresh and shows, beside
its own sampling of the inbox consumers, what each adapter reports (jjj_inbox_pending_messages,
jjj_inbox_oldest_pending_age_seconds). A process whose endpoint does not answer is yellow.
"""

from __future__ import annotations

import asyncio
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

SCRAPE_TIMEOUT_SECONDS = 1.5
YELLOW, GREEN = "yellow", "green"


def parse(text: str) -> dict:
    pending: dict[str, float] = {}
    oldest: dict[str, float] = {}
    relayed = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "jjj_inbox_pending_messages":
                pending[sample.labels.get("receiver", "")] = sample.value
            elif sample.name == "jjj_inbox_oldest_pending_age_seconds":
                oldest[sample.labels.get("receiver", "")] = sample.value
            elif sample.name == "jjj_relayed_messages_total":
                relayed += sample.value
    return {"up": True, "inbox_pending": pending, "inbox_oldest": oldest, "relayed": relayed}


def _fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=SCRAPE_TIMEOUT_SECONDS) as answer:  # loopback: our own processes
        return answer.read().decode()


async def scrape(host: str, port: int) -> dict:
    try:
        return parse(await asyncio.to_thread(_fetch, f"http://{host}:{port}/metrics"))
    except Exception as error:
        return {"up": False, "error": type(error).__name__}


async def scrape_all(host: str, ports: dict[str, int]) -> dict[str, dict]:
    roles = [role for role, port in ports.items() if port]
    answers = await asyncio.gather(*(scrape(host, ports[role]) for role in roles))
    return dict(zip(roles, answers))


def merge(health: list[dict], inboxes: list[dict], scraped: dict[str, dict]) -> None:
    for item in health:
        found = scraped.get(item["name"])
        if found is None:
            continue
        item["metrics"] = "up" if found["up"] else "down"
        if not found["up"]:
            item["reason"] = f"{item['reason']}; metrics endpoint not answering ({found['error']})"
            if item["state"] == GREEN:
                item["state"] = YELLOW
    for inbox in inboxes:
        found = scraped.get(inbox["member"])
        if found and found["up"] and inbox["member"] in found["inbox_pending"]:
            inbox["metrics_pending"] = found["inbox_pending"][inbox["member"]]
            inbox["metrics_oldest_pending_seconds"] = found["inbox_oldest"].get(inbox["member"], 0.0)
