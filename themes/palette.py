"""The four warroom themes, registered with Textual's theme system.

States are also told apart by glyph and word everywhere, so a theme only has to make
them easy to see, never to carry their meaning alone. Widgets use the semantic
variables ($success, $warning, $error, $accent) and these extra ones.
"""

from __future__ import annotations

from textual.theme import Theme

DEFAULT_THEME = "warroom-dark"

WARROOM_DARK = Theme(
    name="warroom-dark",
    primary="#4C9BE8",
    secondary="#8FB3D9",
    accent="#F0B429",
    foreground="#E0E4EA",
    background="#0F1419",
    surface="#171D24",
    panel="#222A33",
    success="#3FB950",
    warning="#D29922",
    error="#F85149",
    dark=True,
    variables={
        "stale": "#8B949E",
        "footer-key-foreground": "#F0B429",
    },
)

WARROOM_LIGHT = Theme(
    name="warroom-light",
    primary="#0B5CAD",
    secondary="#3D6A99",
    accent="#9A6700",
    foreground="#1F2328",
    background="#FFFFFF",
    surface="#F6F8FA",
    panel="#EAEEF2",
    success="#1A7F37",
    warning="#9A6700",
    error="#CF222E",
    dark=False,
    variables={
        "stale": "#6E7781",
        "footer-key-foreground": "#0B5CAD",
    },
)

PROJECTOR = Theme(
    name="projector",
    primary="#FFFF00",
    secondary="#00FFFF",
    accent="#FF00FF",
    foreground="#FFFFFF",
    background="#000000",
    surface="#000000",
    panel="#202020",
    success="#00FF00",
    warning="#FFAA00",
    error="#FF4040",
    dark=True,
    text_alpha=1.0,
    variables={
        "stale": "#C0C0C0",
        "footer-key-foreground": "#FFFF00",
        "block-cursor-background": "#FFFF00",
    },
)

# Okabe-Ito palette: distinguishable with the common colour-vision deficiencies.
COLOUR_BLIND = Theme(
    name="warroom-colourblind",
    primary="#56B4E9",
    secondary="#0072B2",
    accent="#F0E442",
    foreground="#F2F2F2",
    background="#101010",
    surface="#1A1A1A",
    panel="#262626",
    success="#009E73",
    warning="#E69F00",
    error="#D55E00",
    dark=True,
    variables={
        "stale": "#999999",
        "footer-key-foreground": "#F0E442",
    },
)

THEMES: tuple[Theme, ...] = (WARROOM_DARK, WARROOM_LIGHT, PROJECTOR, COLOUR_BLIND)
