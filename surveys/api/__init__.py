"""The surveys app's REST endpoints, one module per topic: input serializer → service or selector → output."""

# surveys.forms.events (the CSV event upload) validates each line with the API's own serializer.
from surveys.api.events import BouncesView, EventInputSerializer, EventsView

__all__ = ["BouncesView", "EventInputSerializer", "EventsView"]
