"""The generic workflow engine: guarded transitions, checks, audit trail and deviations.

It knows nothing about loans. A process is a model with an FSM state field whose transitions are
declared with :func:`workflow.definition.transition` and a :class:`workflow.registry.Process`
registered for it; :func:`workflow.engine.perform_transition` is the only way to run them.
"""
