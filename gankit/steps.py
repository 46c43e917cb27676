"""One training step, written once for every backend.

The primitive is :func:`minimize`: "one optimizer step on these variables for this
loss". Everything else -- the GAN of notebooks 01-02, the toy updates of notebook 00,
the image-to-image variants -- says which loss trains which variables, in which order,
and leaves the bookkeeping to this module:

* :func:`minimize` -- the gradient of ``loss_fn()`` with respect to ``variables``,
  applied by ``optimizer``. TensorFlow takes it with a ``GradientTape``; JAX with
  ``jax.value_and_grad`` around the loss run in a ``keras.StatelessScope`` that sees
  the step's current values, and every piece of state the loss writes (batch-norm
  statistics, dropout and noise seeds) is carried out of the gradient and written back.
* :class:`Player` and :class:`Game` -- a Keras model whose ``fit`` updates several
  players in turn, in ONE compiled step. A GAN variant is a :class:`Game` that lists its
  players (name, variables, optimizer, loss of the batch); no variant writes a step.
* :func:`input_gradients` -- a model's gradient with respect to its inputs (a gradient
  penalty's), differentiable again, on each backend.
* :func:`compile_step` -- a compiled function that may change a list of variables,
  for use outside ``fit`` (``gankit.toy.make_update``).
* :func:`use_all_devices` -- on JAX, split every batch over all the machine's GPUs
  (:func:`check_batch` refuses a global batch they cannot share).

On JAX a compiled function cannot change a variable in place, so the whole step runs
inside one ``StatelessScope`` that holds the values of every variable the step may
read or write (:func:`run_stateless`); assignments made in the step land in that
scope, and their final values leave the compiled function as outputs. The backend is
chosen once, when this module is imported.
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Sequence

import keras

BACKEND = keras.backend.backend()
SUPPORTED_BACKENDS = ("tensorflow", "jax")


def _unsupported(*args, **kwargs):
    raise ValueError(f"gankit trains on the {' and '.join(SUPPORTED_BACKENDS)} backends, but Keras runs on "
                     f"{BACKEND!r}. Fix: set KERAS_BACKEND=tensorflow (or jax) before importing keras.")


def _checked_loss(value, has_aux: bool):
    """Split ``value`` into ``(loss, aux)``; ``aux`` is None without ``has_aux``."""
    loss, aux = value if has_aux else (value, None)
    if tuple(loss.shape) not in ((), (1,)):
        raise ValueError(f"a loss must be one number, but it has shape {tuple(loss.shape)}. "
                         f"Fix: average over the batch, e.g. with keras.ops.mean(...).")
    return keras.ops.reshape(loss, ()), aux


# -- the gradient: the only part that differs between backends --------------------------------

def _gradients_tensorflow(loss_fn, variables, has_aux):
    import tensorflow as tf

    with tf.GradientTape(watch_accessed_variables=False) as tape:  # only these weights: no tape for the rest
        tape.watch([v.value for v in variables])
        loss, aux = _checked_loss(loss_fn(), has_aux)
    return loss, aux, tape.gradient(loss, variables)


class _InnerScope(keras.StatelessScope):
    """A scope that maps some variables to new values and reads every other one from the scope around it."""

    def __init__(self, outer, state_mapping):
        super().__init__(state_mapping)
        self.outer, self.written = outer, {}

    def add_update(self, update):
        super().add_update(update)
        self.written[id(update[0])] = update[0]

    def get_current_value(self, variable):
        value = super().get_current_value(variable)
        if value is None and self.outer is not None:
            value = self.outer.get_current_value(variable)
        return value


def _gradients_jax(loss_fn, variables, has_aux):
    import jax
    from keras.src.backend.common.stateless_scope import get_stateless_scope

    outer, trained = get_stateless_scope(), {id(v) for v in variables}
    written = []  # the variables the loss assigns to (found while tracing)

    def loss_of(values):
        with _InnerScope(outer, list(zip(variables, values))) as scope:
            loss, aux = _checked_loss(loss_fn(), has_aux)
        written[:] = [v for key, v in scope.written.items() if key not in trained]
        return loss, (aux, [scope.get_current_value(v) for v in written])

    (loss, (aux, new_state)), gradients = jax.value_and_grad(loss_of, has_aux=True)([v.value for v in variables])
    for variable, value in zip(written, new_state):  # batch-norm statistics, seeds: into the step's scope
        variable.assign(value)
    return loss, aux, gradients


_gradients = {"tensorflow": _gradients_tensorflow, "jax": _gradients_jax}.get(BACKEND, _unsupported)


def input_gradients(model, inputs, training: bool = True):
    """The gradient of ``sum(model(inputs))`` with respect to the INPUTS (not the weights); same shape as ``inputs``.

    When each output depends only on its own input row (no batch normalisation), row ``i``
    of the result is the gradient of ``model``'s score for example ``i``. The result can be
    differentiated again, so a loss built from it (a WGAN-GP gradient penalty) trains the
    model's weights inside :func:`minimize`. TensorFlow: a ``GradientTape`` watching the
    inputs (nested in the step's tape). JAX: ``jax.grad`` of ``model.stateless_call`` on the
    weights' current values; state the call writes (seeds, statistics) is dropped.
    """
    inputs = keras.ops.convert_to_tensor(inputs)
    if BACKEND == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            tape.watch(inputs)
            total = keras.ops.sum(model(inputs, training=training))
        return tape.gradient(total, inputs)
    if BACKEND != "jax":
        _unsupported()
    import jax

    trainable = [v.value for v in model.trainable_variables]  # inside a step: the step's current values
    non_trainable = [v.value for v in model.non_trainable_variables]

    def total(x):
        scores, _ = model.stateless_call(trainable, non_trainable, x, training=training)
        return keras.ops.sum(scores)

    return jax.grad(total)(inputs)


def minimize(loss_fn: Callable, variables: Sequence, optimizer, has_aux: bool = False):
    """One step of ``optimizer`` on ``variables`` down the gradient of ``loss_fn()``; returns the loss.

    ``loss_fn`` takes no arguments and returns one number (with ``has_aux``: a pair
    ``(loss, aux)``, and ``minimize`` returns the pair). Only ``variables`` move by
    gradient; state the loss writes (batch-norm statistics, seeds) is kept. Call it inside
    a compiled step (``Game.fit``, :func:`compile_step`): on JAX it must run in one.
    """
    variables = list(variables)
    loss, aux, gradients = _gradients(loss_fn, variables, has_aux)
    optimizer.apply(gradients, variables)
    return (loss, aux) if has_aux else loss


# -- running a step that changes variables, compiled --------------------------------------------

def run_stateless(fn: Callable, variables: Sequence, values: Sequence):
    """JAX: ``fn()`` with ``variables`` holding ``values``; returns ``(fn's result, their new values)``.

    Nothing is written in place: assignments made by ``fn`` (optimizer steps, metrics,
    seeds) are collected and returned, so ``fn`` can run inside ``jax.jit``.
    """
    with keras.StatelessScope(state_mapping=list(zip(variables, values))) as scope:
        result = fn()
    return result, [scope.get_current_value(v) for v in variables]


def _unique(variables):
    return list({id(v): v for v in variables}.values())


def compile_step(fn: Callable, variables: Sequence) -> Callable:
    """``fn(*inputs)``, compiled; ``variables`` lists every variable it may read or change.

    TensorFlow: a ``tf.function``. JAX: ``jax.jit`` around :func:`run_stateless`, then the
    new values are assigned. Call it with tensors of a fixed shape: a new shape compiles again.
    """
    if BACKEND == "tensorflow":
        import tensorflow as tf

        return tf.function(fn, reduce_retracing=True)
    if BACKEND != "jax":
        _unsupported()
    import jax

    variables = _unique(variables)

    @jax.jit
    def pure(values, inputs):
        return run_stateless(lambda: fn(*inputs), variables, values)

    def step(*inputs):
        result, values = pure([v.value for v in variables], [keras.ops.convert_to_tensor(x) for x in inputs])
        for variable, value in zip(variables, values):
            variable.assign(value)
        return result

    return step


def check_batch(batch_size: int, devices: int, setting: str = "batch_size") -> None:
    """Refuse a global batch that ``devices`` devices cannot share equally, saying what to change."""
    if devices > 1 and (batch_size < devices or batch_size % devices):
        fits = max(devices, (batch_size // devices) * devices)
        raise ValueError(f"{setting}={batch_size} is the batch of one step over all {devices} devices, so each device "
                         f"would get {batch_size / devices:g} images; it must be a multiple of {devices}. Fix: set "
                         f"{setting}={fits} (or another multiple of {devices}; the papers' batch of 1 means one image "
                         f"per device, {setting}={devices}), or train on one device (all_devices=False, or "
                         f"CUDA_VISIBLE_DEVICES=0).")


def use_all_devices(batch_size: int | None = None, setting: str = "batch_size") -> int:
    """Train on every accelerator of this machine from now on; returns how many.

    On JAX with more than one device this sets ``keras.distribution.DataParallel``: each
    device holds a copy of the weights and works on its share of every batch, and the
    compiled step averages the gradients over all of them, so one step is the same step
    as on one device with the same global batch. Call it before building the models.
    ``batch_size`` is the global batch (all devices together); a batch the device count
    does not divide is refused here, at once, with what to change (``setting`` names the
    notebook's parameter in that message). Elsewhere it changes nothing.
    """
    if BACKEND != "jax":
        print(f"Training on one device: spreading a batch over several devices needs KERAS_BACKEND=jax "
              f"(this kernel runs {BACKEND!r}).")
        return 1
    import jax

    devices = jax.devices()
    if batch_size is not None:
        check_batch(int(batch_size), len(devices), setting)
    if len(devices) > 1:
        keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices))
    print(f"Training on {len(devices)} {devices[0].platform.upper()} device(s).")
    return len(devices)


# -- games: players updated in turn, in one step ----------------------------------------------

@dataclasses.dataclass
class Player:
    """One player of a :class:`Game`: ``loss(batch)`` trains ``variables`` with ``optimizer``.

    ``loss`` returns one number, or ``(number, {name: value})`` to log more values.
    The step logs the loss as ``f"{name}_loss"`` (with several ``turns``, the last turn's).
    ``turns`` updates happen one after the other inside the one step, each on the batch
    :meth:`Game.batch_for` gives that turn; ``after_update()``, if set, runs after each.
    """

    name: str
    variables: Sequence
    optimizer: keras.optimizers.Optimizer
    loss: Callable
    turns: int = 1  # updates in a row each step (a WGAN critic's n_critic); see Game.batch_for
    after_update: Callable | None = None  # called with no arguments after each of its updates (e.g. weight clipping)


class _AllPlayers(keras.optimizers.Optimizer):
    """The players' optimizers as one, for Keras's trainer: a :class:`Game`'s ``optimizer``.

    It takes no step itself (each player's optimizer steps in :func:`minimize`); it exists
    so that ``optimizer.variables`` lists every player's optimizer state, which the JAX
    trainer carries in and out of the compiled step and a checkpoint saves. The list is
    this optimizer's own two variables, then each player's, in the order the game's
    weights first meet them: the layout of ``keras.optimizers.MultiOptimizer`` (Keras
    3.15+, which older Keras lacks), so that checkpoints written with it still load.
    """

    def __init__(self, optimizers, owner):
        super().__init__(learning_rate=0.0, name="players")
        self.optimizers, self._owner = list(optimizers), dict(owner)  # owner: id(variable) -> its optimizer

    @property
    def variables(self):
        return self._variables[:] + [v for optimizer in self.optimizers for v in optimizer.variables]

    def apply(self, grads, trainable_variables=None):
        raise NotImplementedError("a Game's players step their own optimizers, in Game.play.")

    def finalize_variable_values(self, var_list):
        """At the end of ``fit``: each player's optimizer finalizes its variables (e.g. with ``use_ema``)."""
        for optimizer in self.optimizers:
            optimizer.finalize_variable_values([v for v in var_list if self._owner.get(id(v)) is optimizer])


class Game(keras.Model):
    """A Keras model whose training step updates its players in order: ``fit`` trains them all.

    A variant implements :meth:`players` (the players, in update order: discriminators
    before generators) and, if the batch needs it, :meth:`prepare_batch`. Later players
    see the weights the earlier ones just updated. :meth:`compile_players` builds each
    player's optimizer and hands them all to Keras as one (:class:`_AllPlayers`), so that
    its JAX trainer carries their state in and out of the step. :meth:`track` names the
    logged values to average.
    """

    def players(self) -> list[Player]:
        raise NotImplementedError("a Game lists its players: override players()")

    def prepare_batch(self, data):
        """The batch the players' losses receive; by default ``fit``'s ``x``."""
        x, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        return x

    def batch_for(self, player: Player, batch, turn: int):
        """The batch ``player``'s loss receives on its ``turn`` (0, 1, ...); by default the whole batch."""
        return batch

    def after_updates(self, batch) -> None:
        """Called after the players' updates, inside the step (e.g. to average weights)."""

    def track(self, *names: str) -> None:
        """Keep a running mean of each logged value in ``names`` (call it in ``__init__``)."""
        self.trackers = {name: keras.metrics.Mean(name=name) for name in names}

    def compile_players(self, **kwargs) -> None:
        """Build every player's optimizer on its variables and compile with them all as one optimizer."""
        players = self.players()
        optimizers = [p.optimizer for p in players]
        if len({id(o) for o in optimizers}) < len(optimizers):
            raise ValueError("two players share one optimizer object. Fix: create one optimizer per player.")
        owner = {}
        for player in players:
            if isinstance(player.turns, bool) or not isinstance(player.turns, int) or player.turns < 1:
                raise ValueError(f"player {player.name!r} has turns={player.turns!r}. Fix: give a whole number >= 1.")
            if not player.variables:
                raise ValueError(f"player {player.name!r} has no trainable variables. Fix: build its models "
                                 f"and check that they are trainable.")
            player.optimizer.build(player.variables)
            owner.update((id(v), player.optimizer) for v in player.variables)
        idle = [v.path for v in self.trainable_variables if id(v) not in owner]
        if idle:
            raise ValueError(f"no player trains {', '.join(idle[:3])}{' ...' if len(idle) > 3 else ''}. Fix: give "
                             f"them to a player, or set trainable = False on the model that holds them.")
        in_model_order = _unique([owner[id(v)] for v in self.trainable_variables] + optimizers)
        everyone = _AllPlayers(in_model_order, owner)
        self.built = True  # the players' models are built; fit need not call the game on a sample batch
        super().compile(optimizer=everyone, **kwargs)
        everyone.build(self.trainable_variables)

    @property
    def metrics(self):
        return list(getattr(self, "trackers", {}).values())

    def play(self, data):
        """One step: each player's updates (``turns`` of them) in order, then :meth:`after_updates`; returns the logs."""
        batch = self.prepare_batch(data)
        values = {}
        for player in self.players():
            for turn in range(player.turns):  # unrolled: each turn is its own update inside the compiled step
                turn_batch = self.batch_for(player, batch, turn)
                loss, extra = minimize(lambda: _with_logs(player.loss(turn_batch)), player.variables,
                                       player.optimizer, has_aux=True)
                if player.after_update is not None:
                    player.after_update()
                values[f"{player.name}_loss"] = loss
                values.update(extra)
        self.after_updates(batch)
        for name, tracker in self.trackers.items():
            tracker.update_state(values[name])
        return {name: tracker.result() for name, tracker in self.trackers.items()}

    if BACKEND == "jax":
        def train_step(self, state, data):
            groups = (self.trainable_variables, self.non_trainable_variables, self.optimizer.variables,
                      self.metrics_variables)
            logs, values = run_stateless(lambda: self.play(data), [v for g in groups for v in g],
                                         [x for part in state for x in part])
            new_state, start = [], 0
            for group in groups:
                new_state.append(values[start:start + len(group)])
                start += len(group)
            return logs, tuple(new_state)
    elif BACKEND == "tensorflow":
        def train_step(self, data):
            return self.play(data)
    else:
        train_step = _unsupported


def _with_logs(value):
    """A player's loss as ``(loss, logs)``."""
    return value if isinstance(value, tuple) else (value, {})
