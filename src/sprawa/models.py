"""Every model, imported once so that the metadata (and Alembic) sees the whole schema."""

from sprawa.aftersales.models import Complaint, LookupFailure, Return, ReturnItem
from sprawa.ai.models import AICaseState, AIDecision, AIFlag, CompensationCode, KnowledgePassage
from sprawa.auth.models import ApiToken, AuthSession, LoginAttempt, TeamMember, User
from sprawa.cases.models import Attachment, Case, CaseActivity, CaseLinkChange, CaseOrder, Message, Note
from sprawa.channels.models import AutoReplyMark, Channel, ChannelCursor, MessageRef, Thread
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
from sprawa.commerce.models import CommerceEvent, ConnectorHealth, Order, OrderItem, Product, Shipment
from sprawa.customers.models import Customer, CustomerMerge, Identity
from sprawa.db import Base
from sprawa.insights.models import CaseMetrics, InsightsState, SurveyRequest, SurveyResponse
from sprawa.knowledge.models import KnowledgeArticle
from sprawa.macros.models import Macro
from sprawa.platform.audit import AuditEntry
from sprawa.platform.inbound import InboundEvent
from sprawa.platform.jobs import Job, WorkerHeartbeat
from sprawa.privacy.models import ConsentRecord, DataSubjectRequest, RetentionSettings
from sprawa.proactive.models import ProactiveNotice, Suggestion
from sprawa.workspaces.models import Policy, Team, Workspace

__all__ = [
    "AICaseState",
    "AIDecision",
    "AIFlag",
    "ApiToken",
    "Attachment",
    "AuditEntry",
    "AuthSession",
    "AutoReplyMark",
    "Base",
    "Case",
    "CaseActivity",
    "CaseLinkChange",
    "CaseMetrics",
    "CaseOrder",
    "Channel",
    "CommerceEvent",
    "ConnectorHealth",
    "ConsentRecord",
    "ChannelCursor",
    "CompensationCode",
    "Complaint",
    "Customer",
    "CustomerMerge",
    "DataSubjectRequest",
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
    "InsightsState",
    "Job",
    "KnowledgeArticle",
    "KnowledgePassage",
    "LoginAttempt",
    "LookupFailure",
    "Macro",
    "Message",
    "MessageRef",
    "Note",
    "Order",
    "OrderItem",
    "Policy",
    "ProactiveNotice",
    "Product",
    "Return",
    "ReturnItem",
    "RetentionSettings",
    "Shipment",
    "Suggestion",
    "SurveyRequest",
    "SurveyResponse",
    "Team",
    "TeamMember",
    "Thread",
    "User",
    "WorkerHeartbeat",
    "Workspace",
]
