"""Messages a citizen can verify: "did Antre send this?" for anyone, and "what did Antre send me?" for the
signed-in person. Notification keeps the delivery log, the codes and the per-address throttle."""

from antre_common.rpc import ServiceRpc
from gateway.http import api, client_ip, retry_after
from gateway.schemas import messages as s


class MessageRoutes:
    notification = ServiceRpc("notification")

    @api("GET", "/api/v1/messages/verify", query=s.VerifyQuery(), response=s.Verified(), tags=["messages"])
    def verify_message(self, request, query):
        """Public: the type, channel and time of the message Antre sent with this check code; 404
        ``{genuine: false}`` for any other code (unknown, mistyped, deleted: one answer); 429 with
        Retry-After when one address guesses too often; 400 for an empty or over-long code."""
        return retry_after(self.notification.verify_message, query["code"], client_ip=client_ip(request))

    @api("GET", "/api/v1/me/messages", response=s.Message(many=True), auth=True, tags=["messages"])
    def my_messages(self, request, user):
        """Every message Antre sent me (and about my dependents' bookings), newest first, with its subject,
        summary and check code; never a one-time code or a full body."""
        return self.notification.list_messages(user.user_id)
