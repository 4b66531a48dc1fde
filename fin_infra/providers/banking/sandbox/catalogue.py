"""The sandbox's world: institutions, account templates, merchants and people."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Institution:
    id: str
    name: str


INSTITUTIONS: tuple[Institution, ...] = (
    Institution("ins_sandbox_chase", "Chase"),
    Institution("ins_sandbox_boa", "Bank of America"),
    Institution("ins_sandbox_wells", "Wells Fargo"),
    Institution("ins_sandbox_capone", "Capital One"),
    Institution("ins_sandbox_navyfed", "Navy Federal Credit Union"),
)
INSTITUTIONS_BY_ID = {i.id: i for i in INSTITUTIONS}


@dataclass(frozen=True)
class AccountTemplate:
    key: str
    name: str
    official_name: str
    type: str
    subtype: str
    opening_balance: str  # for credit: amount owed


ACCOUNT_TEMPLATES: tuple[AccountTemplate, ...] = (
    AccountTemplate("chk", "Everyday Checking", "Total Checking Account", "depository", "checking", "3250.00"),
    AccountTemplate("sav", "High-Yield Savings", "Premier Savings Account", "depository", "savings", "12500.00"),
    AccountTemplate("cc", "Rewards Card", "Cash Rewards Visa Signature", "credit", "credit_card", "0.00"),
)
CREDIT_LIMIT = "8000.00"


@dataclass(frozen=True)
class Merchant:
    name: str
    description: str  # as it appears on a statement
    category: str
    subcategory: str
    low: int  # cents
    high: int  # cents
    weekly_rate: float  # expected visits per week


# Everyday spending: on the credit card mostly, some on the debit card.
MERCHANTS: tuple[Merchant, ...] = (
    Merchant("Starbucks", "STARBUCKS STORE #{n}", "Food & Drink", "Coffee", 350, 895, 3.0),
    Merchant("Blue Bottle Coffee", "BLUE BOTTLE COFFEE {n}", "Food & Drink", "Coffee", 450, 1200, 0.5),
    Merchant("Chipotle", "CHIPOTLE {n}", "Food & Drink", "Restaurants", 1050, 2400, 1.0),
    Merchant("Sweetgreen", "SWEETGREEN {n}", "Food & Drink", "Restaurants", 1300, 2200, 0.7),
    Merchant("DoorDash", "DD *DOORDASH {n}", "Food & Drink", "Food Delivery", 1800, 6500, 0.6),
    Merchant("Whole Foods Market", "WHOLEFDS MKT #{n}", "Groceries", "Supermarkets", 2500, 16500, 1.2),
    Merchant("Trader Joe's", "TRADER JOE S #{n}", "Groceries", "Supermarkets", 1800, 9500, 0.8),
    Merchant("Shell", "SHELL OIL {n}", "Transportation", "Gas", 3200, 7200, 0.8),
    Merchant("Uber", "UBER *TRIP {n}", "Transportation", "Rideshare", 900, 4200, 0.7),
    Merchant("Amazon", "AMZN Mktp US*{n}", "Shopping", "Online Marketplaces", 899, 18900, 1.0),
    Merchant("Target", "TARGET {n}", "Shopping", "General Merchandise", 1200, 14000, 0.5),
    Merchant("CVS Pharmacy", "CVS/PHARMACY #{n}", "Health", "Pharmacies", 500, 6000, 0.3),
    Merchant("AMC Theatres", "AMC {n} ONLINE", "Entertainment", "Movies", 1400, 4600, 0.15),
)

# Monthly bills: (merchant, description, category, subcategory, day of month, low cents, high cents, account key)
BILLS: tuple[tuple[str, str, str, str, int, int, int, str], ...] = (
    ("Greystar", "GREYSTAR RENT PAYMENT", "Rent & Housing", "Rent", 1, 185000, 185000, "chk"),
    ("PG&E", "PGANDE WEB ONLINE", "Bills & Utilities", "Gas & Electric", 12, 6800, 18500, "chk"),
    ("Comcast", "COMCAST XFINITY", "Bills & Utilities", "Internet", 15, 7999, 7999, "cc"),
    ("Verizon", "VERIZON WIRELESS", "Bills & Utilities", "Phone", 18, 6500, 9200, "cc"),
    ("Netflix", "NETFLIX.COM", "Entertainment", "Streaming", 7, 1549, 1549, "cc"),
    ("Spotify", "SPOTIFY USA", "Entertainment", "Streaming", 21, 1199, 1199, "cc"),
    ("Planet Fitness", "PLANET FITNESS CLUB FEE", "Health", "Gym", 17, 2499, 2499, "chk"),
)

PAYROLL = ("Acme Corp", "ACME CORP PAYROLL DIRECT DEP", "Income", "Wages")
PAYCHECK_CENTS = (268000, 284000)

FIRST_NAMES = ("Alex", "Jordan", "Taylor", "Morgan", "Casey", "Riley", "Jamie", "Avery", "Quinn", "Drew")
LAST_NAMES = ("Garcia", "Nguyen", "Patel", "Johnson", "Kim", "Okafor", "Rossi", "Schmidt", "Silva", "Cohen")
STREETS = ("Maple Ave", "Oak St", "Mission St", "Elm Dr", "Lakeview Rd", "Cedar Ln")
CITIES = (("San Francisco", "CA", "941"), ("Austin", "TX", "787"), ("Brooklyn", "NY", "112"), ("Denver", "CO", "802"))
