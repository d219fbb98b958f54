"""Every model, imported once so that the metadata (and Alembic) sees the whole schema."""

from sprawa.ai.models import AIDecision
from sprawa.auth.models import ApiToken, AuthSession, LoginAttempt, TeamMember, User
from sprawa.cases.models import Attachment, Case, CaseActivity, CaseLinkChange, CaseOrder, Message, Note
from sprawa.channels.models import Channel, Thread
from sprawa.commerce.demo.models import (
    DemoCustomer,
    DemoOrder,
    DemoOrderItem,
    DemoPayment,
    DemoProduct,
    DemoReturn,
    DemoShipment,
    DemoShipmentEvent,
    DemoVariant,
)
from sprawa.commerce.models import Order, OrderItem, Product, Shipment
from sprawa.customers.models import Customer, CustomerMerge, Identity
from sprawa.db import Base
from sprawa.insights.models import SurveyResponse
from sprawa.knowledge.models import KnowledgeArticle
from sprawa.platform.audit import AuditEntry
from sprawa.platform.inbound import InboundEvent
from sprawa.platform.jobs import Job, WorkerHeartbeat
from sprawa.workspaces.models import Policy, Team, Workspace

__all__ = [
    "AIDecision",
    "ApiToken",
    "Attachment",
    "AuditEntry",
    "AuthSession",
    "Base",
    "Case",
    "CaseActivity",
    "CaseLinkChange",
    "CaseOrder",
    "Channel",
    "Customer",
    "CustomerMerge",
    "DemoCustomer",
    "DemoOrder",
    "DemoOrderItem",
    "DemoPayment",
    "DemoProduct",
    "DemoReturn",
    "DemoShipment",
    "DemoShipmentEvent",
    "DemoVariant",
    "Identity",
    "InboundEvent",
    "Job",
    "KnowledgeArticle",
    "LoginAttempt",
    "Message",
    "Note",
    "Order",
    "OrderItem",
    "Policy",
    "Product",
    "Shipment",
    "SurveyResponse",
    "Team",
    "TeamMember",
    "Thread",
    "User",
    "WorkerHeartbeat",
    "Workspace",
]
