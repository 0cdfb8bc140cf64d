"""The demo project's reading: an image-quality rating with a training and a serious stage.

Added by ``nora demo`` after the images; an existing reading of that name is left as it is. Readings are
shared documents, which only a user account writes: when the demo is built by the local system actor,
the reading belongs to the first system admin (``nora init`` made one).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nora.archive.models import User
from nora.archive.services.access import Actor, project_access
from nora.reading.service import Readings

NAME = "demo-quality"

DEFINITION: dict[str, Any] = {
    "general": {
        "title": "Image quality (demo)",
        "description": "Rate the image quality of each T1 study.",
        "instructions": "Look at the whole volume. Keys: 1 quality, 2 motion, 3 confidence; Enter: next case.",
    },
    "form": {
        "title": "Image quality",
        "items": [
            {"type": "section", "title": "Quality"},
            {
                "type": "radio",
                "name": "quality",
                "label": "Overall quality",
                "required": True,
                "shortcut": 1,
                "options": [{"value": "good"}, {"value": "acceptable"}, {"value": "poor"}],
            },
            {"type": "checkbox", "name": "motion", "label": "Motion artefacts", "shortcut": 2},
            {"type": "likert", "name": "confidence", "label": "Confidence", "shortcut": 3, "min": 1, "max": 5},
            {"type": "text", "name": "comment", "label": "Comment", "multiline": True},
            {"type": "roi", "name": "artefact", "label": "Outline an artefact (ROI tool), save it, attach"},
        ],
    },
    "reading": {
        "reading": {
            "mode": "individual",
            "random": "idhash",
            "allowRestartOfTraining": True,
            "allowRestartOfSerious": True,
            "mode_training": {"selection": "stag:template"},
            "mode_serious": {"selection": "SUBJ00*", "SQLCondition": "STAG LIKE 'baseline' OR STAG LIKE 'followup'"},
        },
        "tools": {"roi": True, "markers": True, "measure": False},
        "viewer": {
            "sortOrder": "pid",
            "autoloader": {
                "layout": "single",
                "loaders": [{"pattern": "t1*/*.nii* dwi*/*.nii", "viewports": [0]}],
            },
        },
    },
}


def add_demo_reading(session: Session, owner: Actor, project: str) -> str | None:
    """Create the demo reading where missing; its name, or None when no user account can own it."""
    if owner.user_id is None:
        admin = session.scalar(select(User).where(User.is_admin.is_(True), User.disabled.is_(False)).order_by(User.id))
        if admin is None:
            return None
        owner = Actor.of(admin)
    readings = Readings(session, project_access(session, owner, project))
    if readings.docs.shared(NAME) is None:
        readings.create(NAME, DEFINITION)
    return NAME
