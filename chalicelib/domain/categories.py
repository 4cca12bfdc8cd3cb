"""Help categories: a small tree with slugs, names and banner text, seeded and edited by ops."""
from __future__ import annotations

import re
from dataclasses import dataclass

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.user_text import has_control_characters, one_line

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_CATEGORIES_PER_HELPER = 10


@dataclass(frozen=True)
class Category:
    """A category of the directory, placed in the tree under `parent` at `position`."""

    slug: str
    name: str
    banner: str
    parent: str | None = None
    position: int = 0


def check_category(slug: str, name: str, banner: str, parent: str | None, position: int) -> Category:
    if not SLUG_PATTERN.fullmatch(slug) or len(slug) > 60:
        raise InvalidInput("Slugs are lowercase words joined by '-'.", field="slug")
    name, banner = one_line(name), one_line(banner)  # shown to everyone: no invisible characters
    for field_name, text in (("name", name), ("banner", banner)):
        if has_control_characters(text, allowed=""):
            raise InvalidInput("Control characters are not allowed.", field=field_name)
    if not 1 <= len(name) <= 60:
        raise InvalidInput("A category name is 1 to 60 characters.", field="name")
    if not 1 <= len(banner) <= 300:
        raise InvalidInput("Banner text is 1 to 300 characters.", field="banner")
    if parent is not None and (parent == slug or not SLUG_PATTERN.fullmatch(parent)):
        raise InvalidInput("The parent is another category's slug.", field="parent")
    if type(position) is not int or not 0 <= position <= 10_000:
        raise InvalidInput("Position is 0 to 10000.", field="position")
    return Category(slug, name, banner, parent, position)


def _tree(*groups: tuple[str, str, str, list[tuple[str, str, str]]]) -> tuple[Category, ...]:
    categories: list[Category] = []
    for group_position, (slug, name, banner, children) in enumerate(groups):
        categories.append(Category(slug, name, banner, None, group_position * 100))
        for child_position, (child_slug, child_name, child_banner) in enumerate(children, 1):
            categories.append(Category(child_slug, child_name, child_banner, slug,
                                       group_position * 100 + child_position))
    return tuple(categories)


SEED = _tree(
    ("home", "Home & DIY", "Fix it together: repairs, projects and know-how for your home.", [
        ("plumbing", "Plumbing", "Leaks, drains, fixtures: a plumber on video shows you how."),
        ("electrical", "Electrical", "Switches, fixtures and safe wiring questions answered live."),
        ("gardening", "Gardening", "Plants, lawns and growing food with an experienced gardener."),
        ("home-appliances", "Appliances", "Washers, dryers, ovens: diagnose it before you call it in."),
    ]),
    ("tech", "Technology", "Computers, phones and the software that runs your day.", [
        ("computers", "Computers & Laptops", "Slow, stuck or new: get your computer working for you."),
        ("phones-tablets", "Phones & Tablets", "Set-up, settings and troubleshooting on any device."),
        ("programming", "Programming", "Code reviews, debugging and learning to code, one to one."),
        ("home-networking", "Home Networking", "Wi-Fi, routers and smart-home devices that just work."),
    ]),
    ("learning", "Learning & Tutoring", "Tutors for school, university and lifelong learning.", [
        ("mathematics", "Mathematics", "From arithmetic to calculus, explained at your pace."),
        ("languages", "Languages", "Conversation practice and lessons with fluent speakers."),
        ("science", "Science", "Physics, chemistry and biology with someone who loves them."),
        ("exam-preparation", "Exam Preparation", "Study plans and practice for the tests that matter."),
    ]),
    ("business", "Business & Careers", "Advice for work, money and growing what you run.", [
        ("career-coaching", "Career Coaching", "CVs, interviews and next steps with a coach."),
        ("small-business", "Small Business", "Start, run and grow a small business with expert help."),
        ("personal-finance", "Personal Finance", "Budgets, saving and money questions, plainly answered."),
        ("marketing", "Marketing", "Reach more customers: social, search and brand advice."),
    ]),
    ("creative", "Creative & Music", "Make something: music, art, writing and photography.", [
        ("music-lessons", "Music Lessons", "Guitar, piano, voice and theory, one to one."),
        ("art-design", "Art & Design", "Drawing, painting and design feedback from artists."),
        ("writing", "Writing", "Essays, stories and editing with an experienced writer."),
        ("photography", "Photography", "Cameras, light and editing from working photographers."),
    ]),
    ("life", "Health & Lifestyle", "Everyday life, made easier by someone who has been there.", [
        ("cooking", "Cooking", "Recipes, techniques and a second pair of eyes in the kitchen."),
        ("fitness", "Fitness", "Workouts, form checks and plans with a trainer."),
        ("pets", "Pets", "Training and care questions for dogs, cats and more."),
        ("travel", "Travel", "Plan trips and get local tips from seasoned travellers."),
    ]),
)
