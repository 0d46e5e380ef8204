"""Every page route, for create_app to include."""

from __future__ import annotations

from fastapi import APIRouter

from app.web import auth, staff, static_files, student

router = APIRouter()
router.include_router(auth.router)
router.include_router(student.router)
router.include_router(staff.router)
router.include_router(static_files.router)
