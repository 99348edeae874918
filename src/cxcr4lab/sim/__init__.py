"""ODE engine: models declared once, dosing events, populations (engine layer).

Not yet built; see DESIGN.md. Nothing here is public API yet.
"""
