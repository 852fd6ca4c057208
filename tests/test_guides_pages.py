"""The guide pages through Django's test client: the public index with search and filters, the dutasteride
mesotherapy page, "Track this protocol" through log-in to a prefilled form, saving it with the guide version,
the dose form's suggested site and the dashboard's "Next due".
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
from django.test import Client

from shotlee.accounts.services import issue_token
from shotlee.guides.loader import CONTENT_DIR, load_guides
from shotlee.guides.models import Guide
from shotlee.lib.schedule import add_months
from shotlee.protocols.models import Protocol
from tests.conftest import PASSWORD, Api

TRACK = "/protocols/new/?guide=dutasteride-mesotherapy&regimen=quarterly-0-1-mg"
ZONES = [
    "frontal hairline",
    "left temple",
    "right temple",
    "mid-scalp",
    "vertex/crown",
    "left parietal",
    "right parietal",
]
TITLES = {
    "dutasteride-mesotherapy": "Dutasteride mesotherapy",
    "dutasteride-oral": "Dutasteride (oral, 0.5 mg)",
    "semaglutide": "Semaglutide (weekly injection)",
    "tirzepatide": "Tirzepatide (weekly injection)",
}


@pytest.fixture(autouse=True)
def guides(db):
    load_guides()


@pytest.fixture
def web(alice) -> Client:
    client = Client()
    client.force_login(alice)
    return client


def listed(response) -> set[str]:
    """The guide slugs the index lists as cards."""
    assert response.status_code == 200
    return set(re.findall(r'<li class="card">\s*<h2><a href="/guides/([a-z0-9-]+)/">', response.content.decode()))


def text(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", response.content.decode()))


def field(page: str, name: str) -> str:
    """The value an input shows, or the selected option of a select."""
    tag = re.search(rf'<(input|select)[^>]*\bname="{name}"[^>]*>', page)
    assert tag, f"no field {name}"
    if tag.group(1) == "input":
        value = re.search(r'value="([^"]*)"', tag.group(0))
        return html.unescape(value.group(1)) if value else ""
    options = page[tag.end() : page.index("</select>", tag.end())]
    selected = re.search(r'<option value="([^"]*)" selected>', options)
    return html.unescape(selected.group(1)) if selected else ""


def form_fields(page: str) -> dict[str, str]:
    names = ("compound", "name", "dose", "unit", "route", "every", "every_unit", "min_interval",
             "min_interval_unit", "max_single_dose", "window", "window_unit", "window_max", "ladder", "starts_on", "sites", "guide", "regimen")  # fmt: skip
    return {name: field(page, name) for name in names}


# --- the index ------------------------------------------------------------------------------------------


def test_the_index_lists_every_guide_for_an_anonymous_visitor(client):
    response = client.get("/guides/")
    assert len(listed(response)) == Guide.objects.count() == len(list(CONTENT_DIR.glob("*.yaml")))
    assert set(listed(response)) == set(Guide.objects.values_list("slug", flat=True))
    for title in TITLES.values():
        assert title in text(response)


def test_searching_dutasteride_shows_both_dutasteride_guides_only(client):
    response = client.get("/guides/", {"q": "dutasteride"})
    assert listed(response) == {"dutasteride-mesotherapy", "dutasteride-oral"}
    assert "Semaglutide" not in text(response)
    assert 'value="dutasteride"' in response.content.decode()  # the search box keeps what was typed


def test_filtering_by_class_shows_the_incretin_agonists_only(client):
    response = client.get("/guides/", {"class": "incretin agonist"})
    assert listed(response) == {"semaglutide", "semaglutide-oral", "tirzepatide"}
    assert '<option value="incretin agonist" selected>' in response.content.decode()


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"goal": "weight loss"}, {"semaglutide", "tirzepatide"}),
        ({"route": "intradermal"}, {"dutasteride-mesotherapy"}),
        ({"goal": "hair loss", "route": "oral"}, {"dutasteride-oral", "finasteride-oral", "minoxidil-oral-low-dose"}),
        ({"q": "minoxidil", "route": "topical"}, {"minoxidil-topical"}),
    ],
    ids=["goal", "route", "goal+route", "search+route"],
)
def test_the_goal_and_route_filters_narrow_the_list(client, params, expected):
    assert listed(client.get("/guides/", params)) == expected


def test_a_search_without_results_shows_a_helpful_empty_state(client):
    response = client.get("/guides/", {"q": "unobtainium"})
    assert listed(response) == set()
    page = text(response)
    assert "No guide matches “unobtainium”" in page
    assert "Try fewer filters" in page
    assert re.search(r'<a href="/guides/">see them all</a>', response.content.decode())


# --- the dutasteride mesotherapy page -------------------------------------------------------------------


def test_the_guide_page_is_public_and_shows_the_dose_framework_with_numbered_sources(client):
    response = client.get("/guides/dutasteride-mesotherapy/")
    assert response.status_code == 200
    body = response.content.decode()
    table = body[body.index('<table class="framework">') : body.index("</table>")]
    guide = Guide.objects.get(slug="dutasteride-mesotherapy")
    numbers = guide.rendered["numbers"]
    for key in ("quarterly-0-1-mg", "weekly-course-1-mg-7-sessions"):
        row = table[table.index(f'<tr id="regimen-{key}">') :]
        row = row[: row.index("</tr>")]
        regimen = guide.regimen(key)
        assert html.unescape(regimen["label"]) in html.unescape(row)
        cited = re.findall(r'<a href="#src-([a-z0-9-]+)">\[(\d+)\]</a>', row)
        assert [k for k, _ in cited] == regimen["sources"]
        assert all(int(n) == numbers[k] for k, n in cited)
        for k, _ in cited:  # each number points at an entry of the source list, with its link
            source = next(s for s in guide.data["sources"] if s["key"] == k)
            assert re.search(rf'<li id="src-{k}">.*?<a href="{re.escape(source["url"])}"', body)
    quarterly = table[table.index('<tr id="regimen-quarterly-0-1-mg">') :]
    assert "0.1 mg" in quarterly[: quarterly.index("</tr>")] and "every 3 months" in quarterly
    assert "7 sessions" in table


def test_the_guide_page_says_no_standard_protocol_flags_unconfirmed_claims_and_has_faq_and_disclaimer(client):
    page = text(client.get("/guides/dutasteride-mesotherapy/"))
    assert "No standardized protocol." in page
    assert "No standardized protocol exists" in page
    unconfirmed = page[page.index('id="unconfirmed"') :]
    unconfirmed = unconfirmed[: unconfirmed.index("</section>")]
    assert "not confirmed" in unconfirmed
    assert "4 mm 30G" in unconfirmed
    assert "0.5-1 mg per session, monthly" in unconfirmed
    assert "Frequently asked questions" in page
    assert page.count('<details class="faq">') == len(Guide.objects.get(slug="dutasteride-mesotherapy").data["faq"])
    assert "Disclaimer." in page and "not medical advice" in page


def test_each_regimen_has_a_track_this_protocol_link_to_the_prefilled_form(client):
    body = client.get("/guides/dutasteride-mesotherapy/").content.decode()
    links = re.findall(r'<a class="button small" href="([^"]+)">Track this protocol', body)
    keys = [r["key"] for r in Guide.objects.get(slug="dutasteride-mesotherapy").data["regimens"]]
    assert [html.unescape(link) for link in links] == [
        f"/protocols/new/?guide=dutasteride-mesotherapy&regimen={key}" for key in keys
    ]


def test_an_unknown_guide_page_is_404(client):
    assert client.get("/guides/no-such-guide/").status_code == 404


# --- track this protocol: log in, prefilled form, save --------------------------------------------------


def test_an_anonymous_track_click_goes_to_log_in_and_back_to_the_form(client, alice):
    response = client.get(TRACK)
    login_url = "/accounts/login/?next=" + quote(TRACK, safe="/")
    assert response.status_code == 302
    assert response["Location"] == login_url
    login_page = client.get(login_url)
    assert field(login_page.content.decode(), "next") == TRACK
    logged_in = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD, "next": TRACK})
    assert logged_in.status_code == 302 and logged_in["Location"] == TRACK
    assert field(client.get(TRACK).content.decode(), "dose") == "0.1"


def test_signing_up_from_the_log_in_page_also_comes_back_to_the_form(client):
    """A new visitor asked to log in has no account: "Create an account" must keep where they were going."""
    login_page = client.get("/accounts/login/?next=" + quote(TRACK, safe="/")).content.decode()
    signup_link = html.unescape(
        re.search(r'<a href="(/accounts/signup/[^"]*)">Create an account</a>', login_page).group(1)
    )
    assert "next=" in signup_link, f"the sign-up link {signup_link!r} drops next"
    signup_page = client.get(signup_link).content.decode()
    posted = {"username": "newcomer", "password": PASSWORD, "password2": PASSWORD, "timezone": "UTC"}
    if 'name="next"' in signup_page:
        posted["next"] = field(signup_page, "next")
    response = client.post(signup_link, posted)
    assert response.status_code == 302
    assert response["Location"] == TRACK


def test_the_form_is_prefilled_from_the_quarterly_regimen(web):
    response = web.get(TRACK)
    assert response.status_code == 200
    page = response.content.decode()
    values = form_fields(page)
    guide = Guide.objects.get(slug="dutasteride-mesotherapy")
    assert values["compound"] == "dutasteride" and values["name"] == "Dutasteride mesotherapy"
    assert (values["dose"], values["unit"], values["route"]) == ("0.1", "mg", "intradermal")
    assert (values["every"], values["every_unit"]) == ("3", "months")
    assert values["min_interval"] == "" and values["max_single_dose"] == ""
    assert values["sites"] == ", ".join(ZONES)
    assert (values["guide"], values["regimen"]) == ("dutasteride-mesotherapy", "quarterly-0-1-mg")
    assert values["starts_on"] == datetime.now(UTC).date().isoformat()
    assert "Track Dutasteride mesotherapy" in page
    assert "Prefilled from the published regimen" in page
    assert f'<a href="/guides/dutasteride-mesotherapy/">{guide.title} guide</a>' in page
    assert re.search(r'<button type="submit" class="button">Save protocol</button>', page)


def test_the_weekly_course_prefills_its_minimum_gap(web):
    values = form_fields(
        web.get("/protocols/new/?guide=dutasteride-mesotherapy&regimen=weekly-course-1-mg-7-sessions").content.decode()
    )
    # "Track this protocol" fills the minimum gap the guide gives, in the guide's unit (stored as 168 hours).
    assert (values["dose"], values["every"], values["every_unit"]) == ("1", "1", "weeks")
    assert (values["min_interval"], values["min_interval_unit"]) == ("1", "weeks")


def test_a_ladder_regimen_prefills_the_ladder(web):
    values = form_fields(web.get("/protocols/new/?guide=semaglutide&regimen=wegovy-weekly-ladder").content.decode())
    assert values["ladder"] == "0.25:4, 0.5:4, 1:4, 1.7:4, 2.4"
    assert (values["dose"], values["every"], values["every_unit"], values["max_single_dose"]) == (
        "0.25",
        "1",
        "weeks",
        "2.4",
    )


@pytest.mark.parametrize(
    "url",
    ["/protocols/new/?guide=no-such-guide&regimen=x", "/protocols/new/?guide=dutasteride-mesotherapy&regimen=no-such"],
)
def test_an_unknown_guide_or_regimen_in_the_link_is_404(web, url):
    assert web.get(url).status_code == 404


def save(web: Client, **changes: str):
    values = form_fields(web.get(TRACK).content.decode())
    return web.post("/protocols/new/", {**values, **changes})


def test_saving_the_adjusted_form_records_guide_regimen_and_version(web, alice):
    response = save(web, dose="0.08", max_single_dose="0.2", sites="frontal hairline, vertex/crown")
    assert response.status_code == 302, text(response)[:2000]
    protocol = Protocol.objects.get(user=alice)
    assert response["Location"] == f"/protocols/{protocol.uid}/"
    current = protocol.current
    guide = Guide.objects.get(slug="dutasteride-mesotherapy")
    assert (current.guide, current.regimen, current.guide_version) == (
        "dutasteride-mesotherapy",
        "quarterly-0-1-mg",
        guide.content_hash,
    )
    assert str(current.dose) == "0.08" and str(current.max_single_dose) == "0.2"
    assert current.schedule == {"every": 3, "unit": "months"}
    assert current.sites == ["frontal hairline", "vertex/crown"]
    assert current.route == "intradermal" and protocol.drug_class == "5-alpha-reductase inhibitor"


def test_a_posted_guide_version_cannot_be_forged(web, alice):
    """The version recorded is the guide's own hash, whatever the form sends."""
    response = save(web, guide_version="0" * 64)
    assert response.status_code == 302
    assert (
        Protocol.objects.get(user=alice).current.guide_version
        == Guide.objects.get(slug="dutasteride-mesotherapy").content_hash
    )


def test_an_invalid_adjustment_keeps_the_guide_and_shows_the_error(web):
    response = save(web, dose="lots")
    assert response.status_code == 422
    page = response.content.decode()
    assert 'aria-invalid="true"' in page
    assert (field(page, "guide"), field(page, "regimen")) == ("dutasteride-mesotherapy", "quarterly-0-1-mg")
    assert not Protocol.objects.exists()


# --- then: log a dose with the suggested site, and see it on the dashboard ------------------------------


def site_offered(web: Client, protocol: Protocol) -> str:
    return field(web.get(f"/doses/log/?protocol={protocol.uid}").content.decode(), "site")


def test_the_dose_form_preselects_the_least_recently_used_injection_site(web, alice):
    values = form_fields(web.get("/protocols/new/?guide=semaglutide&regimen=wegovy-weekly-ladder").content.decode())
    assert web.post("/protocols/new/", values).status_code == 302
    protocol = Protocol.objects.get(user=alice)
    sites = protocol.current.sites
    assert protocol.current.sites_mode == "rotate" and len(sites) >= 3
    api = Api(issue_token(alice))
    assert site_offered(web, protocol) == sites[0]  # none used yet: the first site
    now = datetime.now(UTC)
    # Every site used once, the last listed longest ago, the first most recently.
    order = list(reversed(sites))
    for days_ago, site in zip(range(len(order) * 7, 0, -7), order, strict=True):
        when = (now - timedelta(days=days_ago)).isoformat()
        body = {"protocol": str(protocol.uid), "amount": "0.25", "site": site, "occurred_at": when}
        recorded = api.post("/api/v1/doses", {**body, "acknowledge": ["over_single_max"]})
        assert recorded.status_code == 201, recorded.content
    assert site_offered(web, protocol) == order[0]
    when = (now - timedelta(hours=1)).isoformat()
    body = {"protocol": str(protocol.uid), "amount": "0.25", "site": order[0], "occurred_at": when}
    assert api.post("/api/v1/doses", {**body, "acknowledge": ["off_schedule", "too_soon"]}).status_code == 201
    assert site_offered(web, protocol) == order[1]


def test_after_the_first_dose_the_dashboard_shows_next_due_three_months_later(web, alice):
    assert save(web).status_code == 302
    protocol = Protocol.objects.get(user=alice)
    page = web.get(f"/doses/log/?protocol={protocol.uid}").content.decode()
    values = {
        name: field(page, name) for name in ("protocol", "amount", "unit", "site", "occurred_at", "client_entry_id")
    }
    assert values["amount"] == "0.1" and values["site"] == ""  # a session treats every zone: no one site offered
    assert web.post("/doses/log/", {**values, "sites": ZONES, "note": ""}).status_code == 302
    taken = datetime.fromisoformat(values["occurred_at"]).replace(tzinfo=UTC)
    due = datetime.combine(add_months(taken.date(), 3), taken.time(), tzinfo=UTC)
    home = text(web.get("/"))
    assert "Next due" in home
    card = home[home.index("Dutasteride mesotherapy") :]
    shown = (
        "%a %-d %b %Y, %H:%M" if due.year != datetime.now(UTC).year else "%a %-d %b, %H:%M"
    )  # the year when not this one
    assert f'<time datetime="{due.isoformat()}">{due.strftime(shown)}</time>' in card
    assert "every 3 months" in card
    assert "overdue" not in card


def test_the_dashboard_shows_the_ladder_step_of_a_titrating_protocol(web, alice):
    values = form_fields(web.get("/protocols/new/?guide=semaglutide&regimen=wegovy-weekly-ladder").content.decode())
    assert web.post("/protocols/new/", values).status_code == 302
    protocol = Protocol.objects.get(user=alice)
    api = Api(issue_token(alice))
    first = datetime.now(UTC) - timedelta(weeks=5, days=1)
    assert (
        api.post(
            "/api/v1/doses", {"protocol": str(protocol.uid), "amount": "0.25", "occurred_at": first.isoformat()}
        ).status_code
        == 201
    )
    home = text(web.get("/"))
    card = home[home.index("Semaglutide (weekly injection)") :]
    # One dose taken, five weeks ago: the ladder moves on with doses taken, never by itself across a gap.
    assert "<dt>Step</dt><dd>1 of 5: 0.25 mg</dd>" in card
    assert "overdue" in card  # due a week after the last real dose, long past: shown as such, never invented
    assert "5 planned doses missed" in card
    for weeks_ago in (4, 3, 2):
        at = (datetime.now(UTC) - timedelta(weeks=weeks_ago)).isoformat()
        assert (
            api.post("/api/v1/doses", {"protocol": str(protocol.uid), "amount": "0.25", "occurred_at": at}).status_code
            == 201
        )
    card = text(web.get("/"))
    assert "<dt>Step</dt><dd>2 of 5: 0.5 mg</dd>" in card[card.index("Semaglutide (weekly injection)") :]


# --- what a reader sees must be clean text --------------------------------------------------------------


def test_the_index_shows_no_raw_citation_markers(client):
    """Citations like [S:key] become numbered links on a guide page; on the index they must not show raw."""
    page = text(client.get("/guides/"))
    assert re.findall(r"\[S:[a-z0-9-]+\]", page) == []


def test_the_index_summaries_read_cleanly_where_a_citation_was_removed(client):
    """A summary like 'hair loss [S:x]. It blocks' must read 'hair loss. It blocks', not 'hair loss . It blocks'."""
    page = text(client.get("/guides/"))
    cards = re.findall(r'<li class="card">(.*?)</li>', page)
    assert len(cards) == Guide.objects.count()
    summaries = [re.findall(r"<p>(.*?)</p>", card)[-1] for card in cards]
    assert [s for s in summaries if re.search(r"\s[.,;:)]", s)] == []


@pytest.mark.parametrize("slug", sorted(path.stem for path in CONTENT_DIR.glob("*.yaml")))
def test_each_guide_page_renders_its_citations(client, slug):
    page = text(client.get(f"/guides/{slug}/"))
    assert re.findall(r"\[S:[a-z0-9-]+\]", page) == []
    assert 'class="cite"' in page


def test_the_dose_table_says_every_week_not_every_1_weeks(client):
    """The protocol pages and the dashboard say "every week"; the guide's table should read the same way."""
    body = client.get("/guides/dutasteride-mesotherapy/").content.decode()
    table = text_of(body[body.index('<table class="framework">') : body.index("</table>")])
    assert "every 1 weeks" not in table
    assert "every week" in table
    assert "every 3 months" in table


def text_of(fragment: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment)))
