"""Tray icons: each state looks different, and content recording adds a visible dot."""

from desktop_app.ui.icons import SIZES, TrayState, state_icon


def image(icon, size=32):
    return icon.pixmap(size).toImage()


def test_every_state_has_its_own_icon_at_every_size():
    images = {state: image(state_icon(state)) for state in (TrayState.STOPPED, TrayState.RUNNING, TrayState.ERROR)}
    assert len({img.pixel(16, 16) for img in images.values()}) == 3  # badge colour differs
    sizes = {s.width() for s in state_icon(TrayState.RUNNING).availableSizes()}
    assert sizes == set(SIZES)


def test_recording_dot_shows_only_while_running():
    plain = image(state_icon(TrayState.RUNNING))
    recording = image(state_icon(TrayState.RUNNING, recording_content=True))
    assert plain != recording
    corner = recording.pixelColor(26, 5)
    assert corner.red() > 200 and corner.blue() < 100  # amber
    assert image(state_icon(TrayState.STOPPED, recording_content=True)) == image(state_icon(TrayState.STOPPED))
