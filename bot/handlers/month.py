"""Placeholder until this concern lands."""

from aiogram import Router

router = Router(name="month")
