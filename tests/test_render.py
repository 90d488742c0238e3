"""The pictures of render_mode="rgb_array" and "human" (the conformance suite's check_render
runs on every id; these tests look at what the frames hold and at the edges)."""

from __future__ import annotations

import pickle
import subprocess
import sys
import warnings

import gymnasium as gym
import matplotlib
import numpy as np
import pytest

import inventory_gym  # noqa: F401  (registers the ids)
from inventory_gym.core.problem import StatePart

matplotlib.use("Agg")

ENV = "LostSalesLeadTime-v0"
DPI = 20


def _frames(env_id: str, steps: int, seed: int = 0, **kwargs) -> list[np.ndarray]:
    env = gym.make(env_id, render_mode="rgb_array", render_dpi=DPI, **kwargs)
    env.reset(seed=seed)
    env.action_space.seed(seed)
    frames = [env.render()]
    for _ in range(steps):
        env.step(env.action_space.sample())
        frames.append(env.render())
    env.close()
    return frames


@pytest.mark.filterwarnings("ignore:.*render_mode=.png.")
def test_unknown_render_mode_names_the_allowed_ones():
    with pytest.raises(ValueError, match=r"'ansi', 'rgb_array', 'human'.*got 'png'"):
        gym.make(ENV, render_mode="png")
    # The vector env draws no pictures and says where they are.
    with pytest.raises(ValueError, match=r"single env: gym.make\(id, render_mode='rgb_array'\)"):
        gym.make_vec(
            ENV, num_envs=2, vectorization_mode="vector_entry_point", render_mode="rgb_array"
        )


def test_bad_render_dpi_and_state_part_kind_are_named():
    with pytest.raises(ValueError, match=r"render_dpi must be an integer >= 1, got 0"):
        gym.make(ENV, render_mode="rgb_array", render_dpi=0)
    with pytest.raises(ValueError, match=r"kind must be one of .*'pipeline'.*got 'queue'"):
        StatePart("pipeline", 2, kind="queue")
    with pytest.raises(ValueError, match="2 labels for 3 column"):
        StatePart("stock", 3, labels=("a", "b"))


def test_frames_have_the_size_of_the_dpi_and_are_deterministic():
    frames = _frames(ENV, 2)
    assert frames[0].shape == (int(5.625 * DPI), 10 * DPI, 3)
    for a, b in zip(frames, _frames(ENV, 2)):
        np.testing.assert_array_equal(a, b)
    big = gym.make(ENV, render_mode="rgb_array")
    big.reset(seed=0)
    assert big.render().shape == (450, 800, 3)


def test_a_blitted_frame_is_the_figure_drawn_from_scratch():
    """Blitting onto the kept background draws what a full redraw draws, on one figure."""
    env = gym.make(ENV, render_mode="rgb_array", render_dpi=DPI)
    env.reset(seed=0)
    for _ in range(6):
        env.step(np.array([3.0], dtype=np.float32))
        env.render()
    renderer = env.unwrapped._renderer
    figure = renderer.fig
    kept = env.render()
    renderer._background = None  # the next frame redraws everything
    np.testing.assert_array_equal(env.render(), kept)
    env.step(np.array([3.0], dtype=np.float32))
    env.render()
    assert env.unwrapped._renderer.fig is figure, "a new figure was made"
    # A pickled env leaves its figure behind and draws a new one of the same size.
    clone = pickle.loads(pickle.dumps(env))
    assert clone.unwrapped._renderer is None
    assert clone.render().shape == kept.shape


def test_the_history_and_the_panels_follow_the_episode():
    env = gym.make(ENV, render_mode="rgb_array", render_dpi=DPI)
    env.reset(seed=0)
    for _ in range(25):
        env.step(np.array([4.0], dtype=np.float32))
    env.render()
    renderer = env.unwrapped._renderer
    x, _ = renderer.stock_line.get_data()
    assert len(x) == 20 and x[-1] == -1  # the last 20 periods
    np.testing.assert_array_equal(renderer.action_lines[0].get_ydata(), np.full(20, 4.0))
    labels = [text.get_text() for text, _, _ in renderer.arrival_labels]
    t = env.unwrapped._t
    assert labels == [f"pipeline: arrives t={t + j}" for j in range(1, len(labels) + 1)]
    last = env.unwrapped._last
    assert renderer.cost_title.get_text().startswith(f"cost of period {t - 1}: {last['cost']:.4g}")


def test_render_before_reset_raises_reset_needed():
    env = gym.make(ENV, render_mode="rgb_array")
    with pytest.raises(gym.error.ResetNeeded):
        env.render()
    with pytest.raises(gym.error.ResetNeeded):
        env.unwrapped.render()


def test_human_draws_at_reset_and_step_and_closes_its_window():
    import matplotlib.pyplot as plt

    before = set(plt.get_fignums())
    env = gym.make(ENV, render_mode="human", render_dpi=DPI)
    with pytest.warns(UserWarning, match="shows no window"):
        env.reset(seed=0)
    env.step(env.action_space.sample())
    assert env.render() is None
    assert len(set(plt.get_fignums()) - before) == 1
    env.close()
    assert set(plt.get_fignums()) == before


def test_record_video_writes_an_episode(tmp_path):
    pytest.importorskip("moviepy")
    from gymnasium.wrappers import RecordVideo

    folder = tmp_path / "videos"
    env = gym.make(ENV, render_mode="rgb_array", render_dpi=40, max_episode_steps=8)
    env = RecordVideo(env, str(folder), episode_trigger=lambda _: True, disable_logger=True)
    env.reset(seed=0)
    done = False
    while not done:
        _, _, terminated, truncated, _ = env.step(env.action_space.sample())
        done = terminated or truncated
    env.close()
    videos = list(folder.glob("*.mp4"))
    assert len(videos) == 1 and videos[0].stat().st_size > 1000


def test_matplotlib_is_imported_by_the_first_frame_only():
    code = (
        "import sys, gymnasium as gym, inventory_gym\n"
        f"env = gym.make({ENV!r}, render_mode='rgb_array', render_dpi=10)\n"
        "env.reset(seed=0); env.step(env.action_space.sample())\n"
        "assert 'matplotlib' not in sys.modules, 'imported before drawing'\n"
        "env.render()\n"
        "assert 'matplotlib' in sys.modules\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_without_matplotlib_the_error_names_the_plot_extra(monkeypatch):
    env = gym.make(ENV, render_mode="rgb_array")
    env.reset(seed=0)
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(ImportError, match=r"inventory-gym\[plot\]"):
        env.render()


@pytest.mark.parametrize(
    ("env_id", "kwargs"),
    [
        ("Perishable-v0", {"useful_life": 3}),
        ("DualSourcing-v0", {"regular_lead_time": 4, "expedited_lead_time": 2}),
        ("ProcurementRemoval-v0", {}),
    ],
)
def test_state_parts_become_rows(env_id, kwargs):
    """Stock by age, every pipeline with its arrival period, numbers that are not units as
    text."""
    env = gym.make(env_id, render_mode="rgb_array", render_dpi=DPI, **kwargs)
    env.reset(seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        env.render()
    renderer = env.unwrapped._renderer
    labels = [t.get_text() for t in renderer.state_ax.get_yticklabels()]
    arrivals = [t.get_text() for t, _, _ in renderer.arrival_labels]
    if env_id == "Perishable-v0":
        assert labels[:3] == [
            "stock, 3 periods left",
            "stock, 2 periods left",
            "stock, expires now",
        ]
    if env_id == "DualSourcing-v0":
        assert any(a.startswith("regular: arrives t=") for a in arrivals)
        assert any(a.startswith("expedited: arrives t=") for a in arrivals)
    if env_id == "ProcurementRemoval-v0":
        assert "time left = " in renderer.state_title.get_text()
        assert "time_left" not in " ".join(labels)
    flow_labels = [t.get_text() for t in renderer.flow_ax.get_yticklabels()]
    assert "demand" in flow_labels and all(
        a.replace("_", " ") in flow_labels for a in env.unwrapped.problem.action_names
    )
