"""Generate install-guide.pdf for the product-docs gold set (fictional Nimbus thermostats).

Run: .venv/bin/python eval/gold/product-docs/make_install_guide.py
Every line below is written to the PDF as one line (hard line breaks, no reflow), so a gold
answer that sits inside one entry of LINES is one line of the PDF's text.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from fpdf import FPDF

HERE = Path(__file__).resolve().parent.parent / "product-docs"  # the documents
OUTPUT = HERE / "install-guide.pdf"

# (style, text): "title", "subtitle", "h" (section heading), "warn", "p" (body line), "" (blank line)
LINES: list[tuple[str, str]] = [
    ("title", "Nimbus T2 and T5 Installation Guide"),
    ("subtitle", "Document NIM-IG-05, Revision C, March 2024"),
    ("", ""),
    ("warn", "WARNING: Turn off power to your heating and cooling system at the breaker."),
    ("warn", "Do this before you remove your old thermostat. Working on live wires can damage"),
    ("warn", "the thermostat, your HVAC equipment, or you."),
    ("", ""),
    ("h", "Before you begin"),
    ("p", "- Nimbus thermostats work with 24 V (low-voltage) heating and cooling systems only."),
    ("p", "- Do not connect a Nimbus thermostat to 120 V or 240 V line-voltage wiring, such as"),
    ("p", "  electric baseboard heaters."),
    ("p", "- Installation takes about 30 minutes."),
    ("p", "- Mount the thermostat 52 to 60 inches (1.3 to 1.5 m) above the floor on an inside wall,"),
    ("p", "  away from windows, air vents and direct sunlight."),
    ("", ""),
    ("h", "Tools you will need"),
    ("p", "You will need a Phillips screwdriver and a drill with a 5 mm bit."),
    ("p", "A pencil and a phone with the Nimbus Home app installed are also helpful."),
    ("", ""),
    ("h", "In the box"),
    ("p", "- Thermostat (Nimbus T2 or Nimbus T5)"),
    ("p", "- Wall plate with built-in bubble level"),
    ("p", "- Trim plate (optional; covers paint marks and holes left by your old thermostat)"),
    ("p", "- 4 screws and 4 wall anchors"),
    ("p", "- Sheet of wire labels"),
    ("p", "- C-Wire Adapter (Nimbus T5 only)"),
    ("", ""),
    ("h", "Wall plate dimensions"),
    ("p", "Nimbus T2 wall plate: 70 x 70 x 11 mm (2.8 x 2.8 x 0.4 in)"),
    ("p", "Nimbus T5 wall plate: 86 x 86 x 12 mm (3.4 x 3.4 x 0.5 in)"),
    ("p", "Trim plate (both models): 130 x 130 mm (5.1 x 5.1 in)"),
    ("p", "The two screw holes in the wall plate are 60 mm apart, center to center."),
    ("", ""),
    ("h", "Wiring terminals"),
    ("p", "Connect each wire to the terminal with the same letter:"),
    ("p", "- R or Rh for power (24 VAC from the transformer)"),
    ("p", "- Rc for cooling power (systems with two transformers; Nimbus T5 only)"),
    ("p", "- W1 for heat"),
    ("p", "- W2 for second-stage heat (Nimbus T5 only)"),
    ("p", "- Y1 for cooling"),
    ("p", "- Y2 for second-stage cooling (Nimbus T5 only)"),
    ("p", "- G for the fan"),
    ("p", "- C for common"),
    ("p", "- O/B for the heat pump reversing valve"),
    ("p", "If your old thermostat has a jumper wire between R and Rc, do not reconnect it."),
    ("p", "The Nimbus wall plate connects R and Rc internally when only one R wire is present."),
    ("p", "Use 18 to 22 AWG thermostat wire. Strip 6 mm (1/4 in) of insulation from each wire."),
    ("", ""),
    ("h", "Installation steps"),
    ("p", "1. Turn off power at the breaker. Check that the old thermostat's screen is blank."),
    ("p", "2. Remove the cover of the old thermostat and take a photo of the wiring."),
    ("p", "3. Label each wire with the letter of the terminal it is connected to."),
    ("p", "4. Disconnect the wires and remove the old base from the wall."),
    ("p", "5. Hold the wall plate level against the wall and mark the two screw holes."),
    ("p", "6. Drill the two holes with the 5 mm bit and tap in the wall anchors."),
    ("p", "7. Thread the wires through the wall plate and screw the wall plate to the wall."),
    ("p", "8. Push each wire into its matching terminal until the terminal button clicks."),
    ("p", "9. Snap the thermostat onto the wall plate and turn the power back on at the breaker."),
    ("p", "10. Follow the setup steps on the screen and add the thermostat in the Nimbus Home app."),
    ("", ""),
    ("h", "Troubleshooting"),
    ("p", "- Screen stays blank after 2 minutes: check the breaker and the furnace door switch,"),
    ("p", "  and make sure the R or Rh wire is pushed all the way in."),
    ("p", "- Error E74: No power on the R wire. Check the R or Rh connection."),
    ("p", "- Error E21: A wire was detected on Y2 but not on Y1."),
    ("p", "- Error E30: The C wire is not detected. Install the C-Wire Adapter or use batteries."),
    ("", ""),
    ("p", "Need help? Visit nimbushome.example/support, or book a professional installer in the app."),
    ("p", "(c) 2024 Nimbus Home Inc. Nimbus, Nimbus T2 and Nimbus T5 are trademarks of Nimbus Home Inc."),
]


class Guide(FPDF):
    def header(self) -> None:
        self.set_font("Helvetica", "I", 8)
        self.cell(0, 5, "Nimbus T2 and T5 Installation Guide - NIM-IG-05 Rev C", align="R")
        self.ln(8)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Helvetica", "I", 8)
        self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="C")


def build(path: Path = OUTPUT) -> Path:
    pdf = Guide(format="A4")
    pdf.set_margins(18, 15, 18)
    pdf.set_auto_page_break(True, margin=18)
    pdf.set_title("Nimbus T2 and T5 Installation Guide")
    pdf.set_author("Nimbus Home Inc.")
    pdf.set_creation_date(datetime(2024, 3, 4, 9, 0, tzinfo=timezone.utc))  # fixed: reproducible bytes
    pdf.add_page()
    fonts = {"title": ("B", 18, 10), "subtitle": ("", 11, 7), "h": ("B", 12, 7), "warn": ("B", 10, 5.5),
             "p": ("", 10, 5.5), "": ("", 10, 3)}
    for style, text in LINES:
        weight, size, height = fonts[style]
        pdf.set_font("Helvetica", weight, size)
        if style == "h":
            pdf.ln(1)
        pdf.cell(0, height, text, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))
    return path


if __name__ == "__main__":
    print(build())
