"""Builds the static site from its templates: the folder the local stack serves and CDK deploys.

    python -m infra.site_build --out DIR

Every page of `static_site/templates/pages/` is rendered with Jinja2 through the one layout
(`templates/base.html` and its partials) into `DIR/<name>.html`, beside a copy of the assets
(everything under `static_site/` but the templates). Nothing built is committed.
"""
from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path
from typing import Any, Mapping

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

SITE_DIR = Path(__file__).resolve().parents[1] / "static_site"
TEMPLATES_DIR = SITE_DIR / "templates"
PAGES_DIR = TEMPLATES_DIR / "pages"


def page_names() -> list[str]:
    """The site's pages, one template each under `templates/pages/`: `index` is `/index.html`."""
    return sorted(path.stem for path in PAGES_DIR.glob("*.html"))


def html_attributes(attributes: Mapping[str, Any]) -> Markup:
    """` name="value"` per attribute for a template (`{{ kwargs|attrs }}`): `True` is a bare
    attribute, `None` and `False` none at all; `data_counted` is written `data-counted`."""
    parts = []
    for name, value in attributes.items():
        if value is None or value is False:
            continue
        name = escape(name.replace("_", "-"))
        parts.append(f" {name}" if value is True else f' {name}="{escape(value)}"')
    return Markup("".join(parts))


def default_rule_phrases() -> dict[str, str]:
    """The rules' words with the default settings, as `GET /site/rules` says them: what the FAQ,
    Terms and Privacy pages show before the browser puts in the deployment's own."""
    import time

    from chalicelib.domain.payout_schedule import schedule_of
    from chalicelib.services.site_rules import site_rules
    from chalicelib.settings import Settings

    settings = Settings()
    return site_rules(settings, schedule_of(settings), int(time.time()))["phrases"]


def environment() -> Environment:
    """The pages' Jinja2: everything escaped, an unknown name an error, no stray blank lines.
    `rule("refund_hours")` writes one of the rules' phrases in a span the page's script keeps in
    step with the deployment's settings; `support_link()` the support address as a mail link."""
    jinja = Environment(loader=FileSystemLoader(str(TEMPLATES_DIR)), autoescape=True,
                        undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                        keep_trailing_newline=True)
    jinja.filters["attrs"] = html_attributes
    phrases = default_rule_phrases()

    def rule(key: str) -> Markup:
        return Markup('<span data-rule="{}">{}</span>').format(key, phrases[key])

    def support_link() -> Markup:
        email = phrases["support_email"]
        return Markup('<a href="mailto:{}" data-rule-mailto="support_email">{}</a>').format(email, email)

    jinja.globals["rule"] = rule
    jinja.globals["support_link"] = support_link
    return jinja


def render_page(name: str, jinja: Environment | None = None) -> str:
    """The complete HTML of one page."""
    return (jinja or environment()).get_template(f"pages/{name}.html").render()


def build(out_dir: Path) -> Path:
    """Writes the site into `out_dir` (made, or replaced if it holds an earlier build): every page
    as `<name>.html` and everything under `static_site/` but the templates. Returns `out_dir`."""
    out_dir = Path(out_dir).resolve()
    _refuse_to_replace(out_dir)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    shutil.copytree(SITE_DIR, out_dir,
                    ignore=lambda folder, names: ["templates"] if Path(folder) == SITE_DIR else [])
    jinja = environment()
    for name in page_names():
        (out_dir / f"{name}.html").write_text(render_page(name, jinja), encoding="utf-8")
    return out_dir


def _refuse_to_replace(out_dir: Path) -> None:
    """The sources cannot be built into, and a folder is only replaced if it is an earlier build
    (it has `index.html`), so a mistyped `--out` never deletes anything else."""
    if out_dir == SITE_DIR or SITE_DIR in out_dir.parents or out_dir in SITE_DIR.parents:
        raise ValueError(f"cannot build the site into {out_dir}: it holds or is inside the sources")
    if out_dir.is_file() or (out_dir.is_dir() and any(out_dir.iterdir())
                             and not (out_dir / "index.html").is_file()):
        raise ValueError(f"{out_dir} is not empty and not an earlier build of the site; not replacing it")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.site_build", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True,
                        help="folder to build into (made, or replaced if it holds an earlier build)")
    args = parser.parse_args(argv)
    try:
        print(build(args.out))
    except ValueError as refused:
        parser.error(str(refused))
    return 0


if __name__ == "__main__":
    sys.exit(main())
