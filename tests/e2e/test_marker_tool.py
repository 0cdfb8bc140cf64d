"""The marker tool in the page: points added in two planes are drawn where they lie and saved with their
world coordinates (a save over a newer version is a 409 shown on the set's row); the annotation loader
prepares a marker set on each case and saves a changed one when moving on; measurements survive a link."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Server, crosshair_moved, rendered, shot
from tests.e2e.test_desktop import choose, login
from tests.e2e.test_measure import drag
from tests.e2e.test_viewer import LOAD_MS, file_row, items, open_study, wait_idle

pytestmark = pytest.mark.e2e


def click_at(page: Page, viewport: int, fx: float, fy: float, shift: bool = False) -> list[float]:
    """Click at a fraction of a viewport's canvas and return the crosshair (world mm) it moved to."""
    box = page.get_by_test_id(f"canvas-{viewport}").bounding_box()
    assert box is not None
    before = page.evaluate("() => window.noraViewer.crosshairMM")
    if shift:
        page.keyboard.down("Shift")
    page.mouse.click(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
    if shift:
        page.keyboard.up("Shift")
    return crosshair_moved(page, before)


def drawn(page: Page, viewport: int) -> list[dict[str, Any]]:
    """The markers of the current set that viewport ``viewport`` drew last."""
    return page.evaluate(  # type: ignore[no-any-return]
        "(i) => (window.noraMarkers.view.drawn[i] || []).filter((d) => d.set === window.noraMarkers.ws.current)",
        viewport,
    )


def saved_points(page: Page, server: Server, pid: str, name: str) -> tuple[int, list[dict[str, Any]]]:
    r = page.request.get(f"{server.url}/api/projects/DEMO/patients/{pid}/markers/{name}")
    assert r.ok, r.text()
    body = r.json()
    return body["current"], body["markers"]["points"]


def test_points_in_two_planes_are_drawn_and_saved_in_world_coordinates(page: Page, server: Server) -> None:
    login(page, server)
    choose(page, "DEMO")
    # MPR: three 2D planes (a 3D viewport renders every crosshair move: slow with software WebGL)
    page.get_by_test_id("layout-select").select_option("mpr")
    open_study(page, "MNI001", "20240105")
    file_row(page, "t1_mni/s001.nii.gz").dblclick()
    for i in range(3):
        expect(items(page, i)).to_have_count(1, timeout=LOAD_MS)
    wait_idle(page)

    page.get_by_test_id("marker-tool-button").click()
    tool = page.get_by_test_id("marker-tool")
    # a set saved before (as `nora demo`'s landmarks) opens from the server
    four = [{"name": n, "x": x, "y": 10.0, "z": 5.0} for n, x in (("a", -20.0), ("b", -10.0), ("c", 10.0), ("d", 20.0))]
    r = page.request.put(
        f"{server.url}/api/projects/DEMO/patients/MNI001/markers/landmarks?base=0",
        data={"name": "landmarks", "points": four},
    )
    assert r.ok, r.text()
    tool.get_by_test_id("marker-open").select_option("landmarks")
    expect(tool.locator('[data-testid="marker-set"][data-name="landmarks"]')).to_have_attribute("data-dirty", "0")
    expect(tool.get_by_test_id("marker-point")).to_have_count(4)
    tool.get_by_test_id("marker-new-pointset").click()
    tool.get_by_test_id("marker-set-name").last.fill("e2e_points")
    tool.get_by_test_id("marker-pen").click()
    expect(tool.get_by_test_id("marker-pen")).to_have_attribute("aria-pressed", "true")

    first = click_at(page, 0, 0.45, 0.4)  # axial
    expect(tool.get_by_test_id("marker-point")).to_have_count(1)
    second = click_at(page, 1, 0.6, 0.35)  # coronal, through the slice of the first point
    expect(tool.get_by_test_id("marker-point")).to_have_count(2)
    assert second[1] == pytest.approx(first[1], abs=1.0), "the coronal view shows the first point's slice"
    assert abs(second[2] - first[2]) > 5, "the second point is in another axial slice"
    rendered(page)
    # the crosshair is at the second point: every 2D view shows it; the coronal slice holds both points, the
    # axial and sagittal slices through the second point do not hold the first
    shown = {vp: sorted(d["index"] for d in drawn(page, vp)) for vp in (0, 1, 2)}
    assert shown == {0: [1], 1: [0, 1], 2: [1]}

    tool.get_by_test_id("marker-point-name").first.fill("A1")
    tool.get_by_test_id("marker-point").first.click()  # the list focuses the viewer on the point
    page.wait_for_function("(p) => window.noraViewer.crosshairMM.every((v, i) => Math.abs(v - p[i]) < 0.01)", arg=first)
    rendered(page)
    assert 0 in [d["index"] for d in drawn(page, 0)]
    shot(page, "marker-tool-two-planes")

    mine = tool.locator('[data-testid="marker-set"][data-name="e2e_points"]')
    mine.get_by_test_id("marker-save").click()
    expect(mine).to_have_attribute("data-dirty", "0")
    version, points = saved_points(page, server, "MNI001", "e2e_points")
    assert version == 1
    assert [p["name"] for p in points] == ["A1", "P2"]
    for p, want in zip(points, (first, second), strict=True):
        assert [p["x"], p["y"], p["z"]] == pytest.approx(want, abs=0.002)

    # someone else saves meanwhile: the page's next save is a 409 shown on the set's row, nothing lost
    doc = page.request.get(f"{server.url}/api/projects/DEMO/patients/MNI001/markers/e2e_points").json()["markers"]
    other = page.request.put(
        f"{server.url}/api/projects/DEMO/patients/MNI001/markers/e2e_points?base=1",
        data={**doc, "color": "#00ff00"},
    )
    assert other.ok, other.text()
    click_at(page, 2, 0.5, 0.5)  # a third point, in the sagittal view
    mine.get_by_test_id("marker-save").click()
    problem = mine.get_by_test_id("marker-problem")
    expect(problem).to_contain_text("meanwhile")
    shot(page, "marker-tool-conflict")
    mine.get_by_test_id("marker-save-over").click()
    expect(problem).to_have_count(0)
    version, points = saved_points(page, server, "MNI001", "e2e_points")
    assert version == 4 and len(points) == 3  # 2 theirs, 3 rejected (kept), 4 mine again

    # The 3D view (a mesh per set, Shift + click on the rendered surface) was checked in this test once
    # (layout 2x2, meshCount(3), a fourth point on the brain's surface); it is left out of the suite because
    # every frame of a 3D viewport costs seconds with software WebGL. The meshes' geometry has unit tests.


def test_the_annotation_loader_prepares_a_set_and_saves_it_on_the_next_case(page: Page, server: Server) -> None:
    login(page, server)
    choose(page, "DEMO")
    rows = page.get_by_test_id("study-row")
    pids = [rows.nth(i).get_attribute("data-pid") for i in range(rows.count())]
    start = pids.index("MNI001")
    assert start + 1 < len(pids) and pids[start + 1] != "MNI001", pids
    following = pids[start + 1]

    # the editor: an image loader and an annotation loader (a red pointset), saving on the next case
    page.get_by_test_id("autoloader-button").click()
    panel = page.get_by_test_id("autoloader-panel")
    panel.get_by_test_id("al-add").click()
    panel.get_by_test_id("al-pattern").fill("t1*/*.nii*")
    panel.get_by_test_id("al-add-annotation").click()
    panel.get_by_test_id("al-annotation-name").fill("e2e_loader")
    expect(panel.get_by_test_id("al-on-next")).to_have_value("save")
    panel.get_by_test_id("autoload-enabled").check()
    shot(page, "marker-annotation-loader-editor")
    page.get_by_test_id("autoloader-button").click()

    rows.nth(start).click()
    expect(items(page, 0)).to_have_count(1, timeout=LOAD_MS)
    wait_idle(page)
    page.get_by_test_id("marker-tool-button").click()
    tool = page.get_by_test_id("marker-tool")
    target = tool.locator('[data-testid="marker-set"][data-name="e2e_loader"]')
    expect(target).to_have_attribute("data-dirty", "0")  # prepared, not on the server yet
    assert page.request.get(f"{server.url}/api/projects/DEMO/patients/MNI001/markers/e2e_loader").status == 404
    tool.get_by_test_id("marker-pen").click()
    point = click_at(page, 0, 0.5, 0.45)
    expect(target).to_have_attribute("data-dirty", "1")

    page.locator("body").press("ArrowDown")  # the next case: the changed set is saved, the next one prepared
    expect(rows.nth(start + 1)).to_have_attribute("aria-selected", "true")
    assert rows.nth(start + 1).get_attribute("data-pid") == following
    expect(tool.locator('[data-testid="marker-set"][data-name="e2e_loader"]')).to_have_attribute("data-dirty", "0")
    expect(tool.get_by_test_id("marker-point")).to_have_count(0)

    # the save runs while the next case opens: wait for it on the server
    page.wait_for_function(
        "async (url) => (await fetch(url)).ok", arg="/api/projects/DEMO/patients/MNI001/markers/e2e_loader"
    )
    version, points = saved_points(page, server, "MNI001", "e2e_loader")
    assert version == 1 and [[p["x"], p["y"], p["z"]] for p in points] == [pytest.approx(point, abs=0.002)]
    doc = page.request.get(f"{server.url}/api/projects/DEMO/patients/MNI001/markers/e2e_loader").json()["markers"]
    assert (doc["type"], doc["color"]) == ("pointset", "#ffcc00")
    shot(page, "marker-annotation-loader-next-case")


def test_measurements_survive_a_shared_link(page: Page, server: Server) -> None:
    login(page, server)
    choose(page, "DEMO")
    open_study(page, "MNI001", "20240105")
    file_row(page, "t1_mni/s001.nii.gz").dblclick()
    expect(items(page, 0)).to_have_count(1, timeout=LOAD_MS)
    wait_idle(page)
    box = page.get_by_test_id("canvas-0").bounding_box()
    assert box is not None
    page.get_by_test_id("measure-tool").select_option("distance")
    drag(page, box, (0.35, 0.5), (0.65, 0.5))
    page.get_by_test_id("measure-tool").select_option("rect")
    drag(page, box, (0.45, 0.4), (0.55, 0.6))
    page.get_by_test_id("measure-list-toggle").click()
    listing = page.get_by_test_id("measure-list")
    expect(listing.get_by_test_id("measure-region")).to_have_count(1)
    distance = listing.get_by_test_id("measure-distance").inner_text()
    region = listing.get_by_test_id("measure-region").inner_text()
    page.get_by_test_id("measure-tool").select_option("off")

    page.get_by_test_id("share-button").click()
    url = page.get_by_test_id("share-url").input_value()
    other = page.context.new_page()
    other.bring_to_front()  # a page in the background draws no frames (and Playwright's clicks wait for them)
    other.goto(url)
    expect(items(other, 0)).to_have_count(1, timeout=LOAD_MS)
    wait_idle(other)
    expect(other.get_by_test_id("measure-list-toggle")).to_have_text("List (2)")
    other.get_by_test_id("measure-list-toggle").click()
    listing = other.get_by_test_id("measure-list")
    expect(listing.get_by_test_id("measure-distance")).to_have_text(distance)
    expect(listing.get_by_test_id("measure-region")).to_have_text(region)
    other.wait_for_function("() => window.noraViewer.viewports[0].nv.document.completedMeasurements.length === 1")
    shot(other, "measurements-shared-link")
    other.close()


def test_the_versions_window_of_a_marker_set(page: Page, server: Server) -> None:
    login(page, server)
    choose(page, "DEMO")
    open_study(page, "MNI001", "20240105")
    url = f"{server.url}/api/projects/DEMO/patients/MNI001/markers/e2e_versions"
    one = [{"name": "a", "x": 1.0, "y": 2.0, "z": 3.0}]
    two = [*one, {"name": "b", "x": 4.0, "y": 5.0, "z": 6.0}]
    for base, points in ((0, one), (1, two)):
        r = page.request.put(f"{url}?base={base}", data={"name": "e2e_versions", "points": points})
        assert r.ok, r.text()
    page.get_by_test_id("marker-tool-button").click()
    tool = page.get_by_test_id("marker-tool")
    tool.get_by_test_id("marker-open").select_option("e2e_versions")
    target = tool.locator('[data-testid="marker-set"][data-name="e2e_versions"]')
    expect(tool.get_by_test_id("marker-point")).to_have_count(2)
    target.get_by_test_id("marker-versions").click()
    window = page.get_by_test_id("versions-window")
    expect(window.get_by_test_id("version-row")).to_have_count(2)
    v1 = window.locator('[data-testid="version-row"][data-number="1"]')
    # open: a copy of version 1 as a new, unsaved set
    v1.get_by_test_id("version-open").click()
    expect(window.get_by_test_id("version-note")).to_contain_text("opened as e2e_versions_v1")
    copy = tool.locator('[data-testid="marker-set"][data-name="e2e_versions_v1"]')
    expect(copy).to_have_attribute("data-dirty", "1")
    expect(tool.get_by_test_id("marker-point")).to_have_count(1)  # the copy is the current set
    # restore: version 1 is the newest (3) on the server, and the open set shows it
    v1.get_by_test_id("version-restore").click()
    expect(window.get_by_test_id("version-note")).to_contain_text("restored as version 3")
    expect(window.get_by_test_id("version-row")).to_have_count(3)
    r = page.request.get(url)
    assert r.json()["current"] == 3 and [p["name"] for p in r.json()["markers"]["points"]] == ["a"]
    target.locator('input[type="radio"]').check()
    expect(tool.get_by_test_id("marker-point")).to_have_count(1)
    expect(target).to_have_attribute("data-dirty", "0")
    assert page.request.delete(url).ok
