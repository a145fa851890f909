"""Printers, serial devices and audio, each with a simulator."""
