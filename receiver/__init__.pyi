# The public names of `receiver`, each with its home: the one list. Type checkers read it as the
# package's interface; receiver/__init__.py reads it to import each name on first use.
from receiver.app import Receiver as Receiver
from receiver.dispatch import CallContext as CallContext
from receiver.errors import ConfigurationError as ConfigurationError
from receiver.errors import ReceiverError as ReceiverError
from receiver.errors import TokenError as TokenError
from receiver.models import Account as Account
from receiver.models import Enrollment as Enrollment
from receiver.models import Order as Order
from receiver.models import Parameter as Parameter
from receiver.models import Request as Request
from receiver.models import ValidateAnswer as ValidateAnswer
from receiver.models import Webhook as Webhook
from receiver.types import ObjectType as ObjectType
from receiver.types import WebhookType as WebhookType
