"""Chromium set up for calls (fake camera, microphone and screen, loopback ICE), and the steps two
people take in it: sign in, open a Helper's page, call, answer. Shared by the call room's browser
test and the call-setup bench."""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect

CHROMIUM = "/usr/bin/chromium"
CALL_CHROMIUM_ARGS = [
    "--use-fake-ui-for-media-stream",  # camera, microphone and screen allowed without a prompt
    "--use-fake-device-for-media-stream",  # a moving test pattern and a beep; getDisplayMedia too
    "--allow-loopback-in-peer-connection",
    "--disable-features=WebRtcHideLocalIpsWithMdns",  # plain host candidates between two contexts
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-background-timer-throttling",  # two contexts at once: neither is "in the background"
    "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
    "--disable-gpu",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# With the fake UI and devices, headless Chromium answers getDisplayMedia with a 1280x720 fake
# "screen" without any picker flag. Its fake camera draws the very same 16:9 picture, so a test
# that must tell the two apart gives the camera a 4:3 video file instead (`camera_file`).

# Reports every CSP violation as a console error too, whatever the browser itself logs.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline"}`);
});
"""


def write_test_camera(path: Path, width: int = 640, height: int = 480, frames: int = 15) -> Path:
    """A camera recording for Chromium's fake device (Y4M): dark blue, 4:3, with a bright bar
    sweeping across so every frame differs."""
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F15:1 Ip A1:1 C420jpeg\n".encode())
        chroma = (width // 2) * (height // 2)
        for n in range(frames):
            out.write(b"FRAME\n")
            row = bytearray([40]) * width
            start, length = n * width // frames, width // 8
            row[start:start + length] = bytes([220]) * len(row[start:start + length])
            out.write(bytes(row) * height)
            out.write(bytes([200]) * chroma)  # U
            out.write(bytes([110]) * chroma)  # V
    return path


def launch_call_browser(driver: Playwright, camera_file: Path | None = None) -> Browser:
    extra = [f"--use-file-for-fake-video-capture={camera_file}"] if camera_file else []
    return driver.chromium.launch(executable_path=CHROMIUM, headless=True, args=CALL_CHROMIUM_ARGS + extra)


def open_person(browser: Browser, site: str, *, timeout_ms: int = 15_000,
                viewport: dict | None = None) -> BrowserContext:
    context = browser.new_context(base_url=site, viewport=viewport or {"width": 1280, "height": 860},
                                  permissions=["camera", "microphone", "notifications"])
    context.set_default_timeout(timeout_ms)
    context.add_init_script(CSP_LISTENER)
    return context


def sign_in(page: Page, email: str, password: str, next_path: str) -> None:
    """Signs in through the form and lands on `next_path`."""
    page.goto(f"/sign-in.html?next={quote(next_path, safe='')}")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(re.compile(re.escape(next_path.split("?")[0])))


REMOTE_VIDEO_PLAYING = """
async (selector) => {
  const video = document.querySelector(selector);
  if (!video || video.videoWidth === 0 || video.readyState < 2) return false;
  const before = video.getVideoPlaybackQuality().totalVideoFrames;
  const time = video.currentTime;
  await new Promise((resolve) => setTimeout(resolve, 300));
  return video.getVideoPlaybackQuality().totalVideoFrames > before && video.currentTime > time;
}
"""


def expect_video_playing(page: Page, selector: str = "[data-testid='remote-video']",
                         timeout_ms: int = 30_000) -> dict:
    """Waits until `selector` shows frames that keep coming; returns its size and frame count."""
    page.wait_for_function(REMOTE_VIDEO_PLAYING, arg=selector, timeout=timeout_ms, polling=200)
    return page.evaluate("""(selector) => {
      const video = document.querySelector(selector);
      return {width: video.videoWidth, height: video.videoHeight,
              frames: video.getVideoPlaybackQuality().totalVideoFrames, time: video.currentTime};
    }""", selector)


def answer_from_pop_up(page: Page, caller_name: str) -> None:
    pop_up = page.get_by_role("alertdialog")
    expect(pop_up).to_be_visible()
    expect(pop_up).to_contain_text(caller_name)
    pop_up.get_by_role("button", name="Answer").click()
