from __future__ import annotations

from server.errors import N_, Conflict, Invalid


class BadGuideInput(Invalid):
    pass


class SlotTaken(Conflict):
    template = N_("Someone else took this slot a moment ago. Choose another one.")
    code = "slot_taken"
