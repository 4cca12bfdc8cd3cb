"""The call room's peer connection (static_site/js/call/peer.js) in Chromium, two links in one page
wired to each other through an in-page relay standing in for the server: the caller offers first
and the Helper never before, both reach the same verification code, offers crossing (glare) are
settled by the polite Helper, an ICE restart reconnects, lost signals are caught up after a
reconnect, and a reloaded side (a new link) makes the other start over."""
from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page

from tests.support.call_browser import launch_call_browser, open_person

pytestmark = pytest.mark.e2e

# Two PeerLinks in one page; `relay.hold` keeps signals back, `relay.drop` loses them.
SETUP = """
async () => {
  const { PeerLink } = await import("/js/call/peer.js");
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
  const relay = { hold: false, drop: false, held: [], log: [] };
  const links = {};
  const make = (role) => {
    const other = role === "caller" ? "helper" : "caller";
    const link = new PeerLink({
      role,
      localStream: stream.clone(),
      sendSignal: (data) => {
        relay.log.push(`${role}:${data.type}`);
        if (relay.drop) return;
        const deliver = () => links[other] && links[other].handleSignal(data);
        if (relay.hold) relay.held.push(deliver); else setTimeout(deliver, 5);
      },
      setupChannels: (pc) => { pc.createDataChannel("chat", { negotiated: true, id: 1 }); },
    });
    link.addEventListener("verification", (event) => { link.code = event.detail; });
    links[role] = link;
    return link;
  };
  window.peerTest = { relay, links, make, stream,
    release() { const held = relay.held; relay.held = []; held.forEach((deliver) => deliver()); },
    connected() {
      return ["caller", "helper"].every((role) => {
        const pc = links[role].pc;
        return pc.connectionState === "connected" && pc.signalingState === "stable";
      });
    },
    frames() {
      return Promise.all(["caller", "helper"].map(async (role) => {
        const stats = await links[role].pc.getStats();
        let frames = 0;
        stats.forEach((r) => { if (r.type === "inbound-rtp" && r.kind === "video") frames += r.framesDecoded || 0; });
        return frames;
      }));
    },
  };
  make("helper");
  make("caller");
}
"""


@pytest.fixture(scope="module")
def call_browser(playwright_driver) -> Browser:
    browser = launch_call_browser(playwright_driver)
    yield browser
    browser.close()


@pytest.fixture
def lab(call_browser: Browser, local_stack, browser_log) -> Page:
    context = open_person(call_browser, local_stack["site"], timeout_ms=30_000)
    page = browser_log.watch(context.new_page(), "lab")
    page.goto("/index.html")
    page.evaluate(SETUP)
    yield page
    context.close()
    assert browser_log.unexpected() == []


def wait_connected(page: Page) -> None:
    page.wait_for_function("() => window.peerTest.connected()", timeout=30_000)


def codes(page: Page) -> list:
    page.wait_for_function("() => window.peerTest.links.caller.code && window.peerTest.links.helper.code",
                           timeout=30_000)
    return page.evaluate("() => [window.peerTest.links.caller.code, window.peerTest.links.helper.code]")


def media_keeps_flowing(page: Page) -> None:
    before = page.evaluate("() => window.peerTest.frames()")
    page.wait_for_function("""async (before) => {
      const now = await window.peerTest.frames();
      return now[0] > before[0] + 5 && now[1] > before[1] + 5;
    }""", arg=before, timeout=30_000, polling=250)


def test_the_caller_offers_first_and_both_see_one_code(lab: Page):
    wait_connected(lab)
    log = lab.evaluate("() => window.peerTest.relay.log")
    offers = [entry for entry in log if entry.endswith(":offer")]
    assert offers[0] == "caller:offer" and "helper:offer" not in offers
    caller_code, helper_code = codes(lab)
    assert caller_code == helper_code and len(caller_code) == 14
    media_keeps_flowing(lab)


def test_crossing_offers_are_settled_by_the_polite_helper(lab: Page):
    wait_connected(lab)
    first = codes(lab)
    # Both restart ICE at the same moment: two offers cross in the relay.
    lab.evaluate("""() => {
      const { links, relay } = window.peerTest;
      relay.log.length = 0;
      relay.hold = true;
      links.caller.pc.restartIce();
      links.helper.pc.restartIce();
    }""")
    lab.wait_for_function("""() => {
      const log = window.peerTest.relay.log;
      return log.includes("caller:offer") && log.includes("helper:offer");
    }""", timeout=30_000)
    lab.evaluate("() => { window.peerTest.relay.hold = false; window.peerTest.release(); }")
    wait_connected(lab)
    media_keeps_flowing(lab)
    assert codes(lab) == first  # same certificates, same code


def test_a_restart_asked_by_the_helper_reconnects(lab: Page):
    wait_connected(lab)
    lab.evaluate("() => { window.peerTest.relay.log.length = 0; window.peerTest.links.helper.restartIce(); }")
    lab.wait_for_function("""() => {
      const log = window.peerTest.relay.log;
      return log.includes("helper:ice-restart") && log.includes("caller:offer") && log.includes("helper:answer");
    }""", timeout=30_000)
    wait_connected(lab)
    media_keeps_flowing(lab)


def test_signals_lost_while_the_socket_was_down_are_caught_up(lab: Page):
    wait_connected(lab)
    # The caller's offer of a restart is lost on the way (the Helper's socket was down).
    lab.evaluate("""() => {
      const { links, relay } = window.peerTest;
      relay.drop = true;
      links.caller.pc.restartIce();
    }""")
    lab.wait_for_function("() => window.peerTest.links.caller.pc.signalingState === 'have-local-offer'",
                          timeout=30_000)
    # The Helper reconnects and rejoins: it tells the caller, who offers again.
    lab.evaluate("""() => {
      const { links, relay } = window.peerTest;
      relay.drop = false;
      links.helper.reconnected();
    }""")
    wait_connected(lab)
    media_keeps_flowing(lab)


@pytest.mark.parametrize("who", ["helper", "caller"])
def test_a_side_that_reloads_starts_a_new_connection_with_the_other(lab: Page, who: str):
    wait_connected(lab)
    old = codes(lab)
    lab.evaluate("""(who) => {
      const { links, make } = window.peerTest;
      links[who].close();
      const fresh = make(who);  // a reloaded page: a new link, knowing nothing of the other
      if (who === "helper") fresh.reconnected();
    }""", who)
    lab.wait_for_function("""(old) => {
      const { caller, helper } = window.peerTest.links;
      return caller.code && helper.code && caller.code === helper.code && caller.code !== old;
    }""", arg=old[0], timeout=30_000)
    wait_connected(lab)
    media_keeps_flowing(lab)
