"""A local simulator of the SoftwareOne Marketplace Platform's Webhook API.

Register webhooks through the API the platform has (``/public/v1/notifications/webhooks``),
validate orders through ``/public/v1/commerce/orders/validate``, and watch the simulator call
your receiver with signed tokens, apply its answers and keep the statistics, on a dashboard at
``/``.

    from receiver.simulator import create_simulator

    simulator = create_simulator(db="simulator.db", allow_http=True)
    # uvicorn.run(simulator, port=8090); the API wants Authorization: Bearer <simulator.token>

``serve_simulator`` is ``receiver simulate``; ``run_demo`` is ``receiver demo``.

Modules, one concept each: ``app`` (the ASGI app), ``api`` (the Webhook API), ``rules`` (what
create/update accept), ``rql`` (list filters), ``records`` (a webhook and its wire form),
``store`` (SQLite), ``validate`` (the ``/validate`` endpoints), ``matching`` (which webhook an
object triggers), ``firing`` (calling the vendor), ``apply`` (applying its answer),
``dashboard``, ``hosts`` (the Host names it answers), ``problems`` (ProblemDetails), ``serve``
and ``demo``.

Where the platform's behaviour is unknown or the sources disagree, the simulator does this:

* ``status`` in a create body (the AWS migrations send it) is honoured, not refused.
* The secret is returned by the create call only; ``select=+secret`` is not supported.
* SelectOrderLines takes Purchase orders only when no webhook of the order's own type
  matches; ``?webhookType=SelectOrderLines`` on ``/validate`` reaches it anyway.
* Every HTTP attempt counts as a call in the statistics (an unparseable answer and its two
  retries are three failures), so the numbers match the vendor receiver's own.
* No answer within ``call_timeout`` is recorded as ``GatewayTimeout``; a refused connection,
  DNS or TLS failure (or an in-process app that raises) as ``ServiceUnavailable``. Both answer
  the ``/validate`` caller 200 with the object unchanged. A 2xx answer whose ``id`` is not the
  object's is a failure, not retried, not applied.
* Answer lines with an unknown id are ignored (noted in the changes); constraints are merged.
* The dashboard and ``/healthz`` need no token (loopback dev tool, no secrets shown); the rest
  does. Every route answers loopback ``Host`` names only (``allowed_hosts`` adds others).
  Generated API tokens are kept in the database file, so a restart keeps the token.
* One vendor account owns every webhook; the webhook's ``object.name`` is its id.
"""

from receiver.simulator.app import Simulator, create_simulator
from receiver.simulator.demo import run_demo
from receiver.simulator.serve import serve_simulator
from receiver.simulator.store import Store

__all__ = ["Simulator", "Store", "create_simulator", "run_demo", "serve_simulator"]
