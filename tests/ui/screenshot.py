"""Take the README's screenshot of the queue: ``python -m tests.ui.screenshot [docs/moderation-queue.png]``.

Runs the real service (the live model of ``models/``) against a private Redis, has a blog submit a few German
comments that the model holds, decides some earlier ones so that author histories show, signs in as a
moderator in headless chromium and photographs the queue.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

from moderation_service.app import create_app
from moderation_service.settings import Settings
from tests.conftest import KEYS_JSON, ROOT, auth
from tests.redis_server import RedisServer
from tests.ui.conftest import CHROMIUM, CHROMIUM_ARGS, LiveApp, sign_in

SITES = """
[sites.kommblog]
name = "Kommunikationsblog"
[sites.kommblog.thresholds]
spam = { hold = 0.4, spam = 0.99 }
toxicity = { hold = 0.4 }
insult = { hold = 0.4 }
threat = { hold = 0.4 }
identity_attack = { hold = 0.4 }
"""

POST = {"post_id": "krisenkommunikation-2026", "permalink": "https://kommblog.example/2026/krisenkommunikation"}
HELD = [
    {"author_name": "Klaus M.", "author_email": "klaus.m@example.de", "submitted_at": "2026-11-26T08:41:00+01:00",
     "content": "So ein Schwachsinn. Wer sowas schreibt, ist einfach nur dumm. Typisch Pressestelle, "
                "alles Idioten und Lügner."},
    {"author_name": "Gewinnspiel Team", "author_email": "gewinn@mail.example", "author_url": "http://bit.example/gewinn",
     "submitted_at": "2026-11-26T09:05:00+01:00",
     "content": "Super Artikel!!! Ich verdiene jetzt 5.000 Euro im Monat von zu Hause. Klick hier: "
                "http://bit.example/gewinn GRATIS iPhone für die ersten 100!!!"},
    {"author_name": "Anonym", "author_email": "anonym@example.net", "submitted_at": "2026-11-26T09:30:00+01:00",
     "content": "Halt endlich dein Maul, du widerlicher Hetzer. Leute wie dich sollte man aus der Stadt jagen."},
    {"author_name": "Klaus M.", "author_email": "klaus.m@example.de", "submitted_at": "2026-11-26T10:02:00+01:00",
     "content": "Und die Kommentare hier sind genauso dämlich wie der Artikel. Lest ihr euren Mist überhaupt?"},
]
EARLIER = [  # decided before, so that Klaus M. has a history
    ("approve", {"author_name": "Klaus M.", "author_email": "klaus.m@example.de",
                 "content": "Ihr seid doch alle dumm, Idioten allesamt"}),
    ("approve", {"author_name": "Klaus M.", "author_email": "klaus.m@example.de",
                 "content": "Was für ein dummer Idiot hat das geschrieben"}),
    ("reject", {"author_name": "Klaus M.", "author_email": "klaus.m@example.de",
                "content": "Halt dein Maul, du dummer Idiot und Lügner"}),
]


def main(output: Path) -> None:
    work = Path(tempfile.mkdtemp(prefix="moderation-screenshot-"))
    redis = RedisServer(directory=work / "redis").start()
    sites = work / "sites.toml"
    sites.write_text(SITES, encoding="utf-8")
    settings = Settings(redis_url=f"{redis.url}/0", data_dir=work / "var", models_dir=ROOT / "models",
                        sites_file=sites, api_keys_json=KEYS_JSON).validated()
    live = LiveApp(create_app(settings)).start()
    try:
        with sync_playwright() as playwright:
            api = playwright.request.new_context(base_url=live.url)

            def submit(n: int, fields: dict[str, str]) -> dict[str, object]:
                body = {"site_id": "kommblog", "comment_id": f"c{n}", **POST, **fields}
                answer = api.post("/v1/comments", data=body, headers=auth("blog")).json()
                if answer["decision"] != "hold":
                    raise SystemExit(f"the model did not hold comment {n}: {json.dumps(answer)}")
                return dict(answer)

            for n, (action, fields) in enumerate(EARLIER):
                item = submit(100 + n, fields)
                api.post(f"/v1/review/items/{item['id']}/claim", headers=auth("admin"))
                api.post(f"/v1/review/items/{item['id']}/decision", data={"action": action}, headers=auth("admin"))
            for n, fields in enumerate(HELD):
                submit(n, fields)

            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(base_url=live.url, locale="de-DE", timezone_id="Europe/Berlin",
                                    viewport={"width": 1200, "height": 900}, device_scale_factor=1)
            page.set_viewport_size({"width": 1200, "height": 2200})  # the whole queue, sticky bar in place
            sign_in(page)
            expect(page.locator("#cards > li")).to_have_count(len(HELD))
            page.keyboard.press("j")
            page.keyboard.press("x")
            page.keyboard.press("j")
            page.keyboard.press("x")
            page.mouse.move(0, 0)
            height = page.evaluate("Math.ceil(document.querySelector('main').getBoundingClientRect().bottom)")
            page.set_viewport_size({"width": 1200, "height": height})
            page.screenshot(path=str(output))
            browser.close()
            api.dispose()
    finally:
        live.stop()
        redis.stop()
    print(f"wrote {output}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "moderation-queue.png")
