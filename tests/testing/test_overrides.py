"""receiver.testing.overrides: keyword and dotted-path overrides, REMOVE, the parameters= shortcut,
as the sample factories and with_overrides() apply them."""

from __future__ import annotations

import copy
import pickle

import pytest

from receiver.models import Order
from receiver.testing import overrides, samples
from receiver.testing.overrides import REMOVE, SampleError, set_path, with_overrides


def test_samples_re_exports_the_public_names() -> None:
    for name in overrides.__all__:
        assert getattr(samples, name) is getattr(overrides, name)
        assert name in samples.__all__


def test_remove_survives_copy_and_pickle() -> None:
    assert copy.deepcopy(REMOVE) is REMOVE
    assert pickle.loads(pickle.dumps(REMOVE)) is REMOVE  # noqa: S301 - our own bytes


def test_keyword_overrides_take_wire_or_snake_case_names() -> None:
    order = samples.purchase_order(
        notes="Rush", external_ids={"client": "PO-1"}, terms_and_conditions=[], custom_field=1
    )
    assert order["notes"] == "Rush"
    assert order["externalIds"] == {"client": "PO-1"}
    assert order["termsAndConditions"] == []
    assert order["custom_field"] == 1  # unknown names are kept as given
    assert samples.purchase_order(externalIds={"vendor": "V"})["externalIds"] == {"vendor": "V"}
    assert samples.purchase_order(meta={"omitted": ["audit"]})["$meta"] == {"omitted": ["audit"]}
    assert samples.request(shape="openapi", from_={"id": "ACC-1"})["from"] == {"id": "ACC-1"}


def test_remove_deletes_keys_and_list_items() -> None:
    order = samples.purchase_order(notes=REMOVE, **{"parameters.ordering.threeYC": REMOVE})
    assert "notes" not in order
    assert "threeYC" not in [p["externalId"] for p in order["parameters"]["ordering"]]
    with pytest.raises(SampleError, match="no such key"):
        samples.purchase_order(**{"notAField": REMOVE})
    assert repr(REMOVE) == "REMOVE"


def test_dotted_paths() -> None:
    order = samples.change_order(
        **{
            "product.id": "PRD-2222-2222",
            "lines.0.quantity": 3,
            "lines.-1.price.unitPP": 25.0,
            "parameters.ordering.companyName.constraints.hidden": True,
            "buyer.contact.phone.number": "555",
            "newThing.nested.value": [1],
        }
    )
    assert order["product"]["id"] == "PRD-2222-2222"
    assert order["lines"][0]["quantity"] == 3
    assert order["lines"][1]["price"]["unitPP"] == 25.0
    company = Order.from_dict(order).parameter("companyName")
    assert company.constraints is not None
    assert company.constraints.hidden is True
    assert order["buyer"]["contact"]["phone"]["number"] == "555"
    assert order["newThing"] == {"nested": {"value": [1]}}


def test_dotted_paths_select_list_items_by_id_and_append_at_the_end() -> None:
    order = samples.purchase_order(seed=5)
    line_id = order["lines"][0]["id"]
    changed = samples.purchase_order(
        seed=5,
        **{f"lines.{line_id}.quantity": 9, "lines.1": {"item": {"id": "ITM-9"}, "quantity": 1}},
    )
    assert [line["quantity"] for line in changed["lines"]] == [9, 1]
    extended = samples.purchase_order(**{"lines.1.quantity": 2})
    assert extended["lines"][1] == {"quantity": 2}
    by_id = samples.purchase_order(**{"parameters.ordering.PAR-1111-1111-0001.value": "X"})
    assert by_id["parameters"]["ordering"][0]["value"] == "X"  # id works when externalId is set


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("lines.5.quantity", "out of range"),
        ("lines.7", "out of range"),
        ("parameters.ordering.nope.value", "No item 'nope'.*companyName"),
        ("notes.x", "Cannot set 'notes.x': 'notes' is a str"),
        ("notes.x.y", "Cannot step into 'notes'"),
        ("missingList.0.x", "has no list to index"),
    ],
)
def test_a_bad_path_says_what_is_there(path: str, message: str) -> None:
    with pytest.raises(SampleError, match=message):
        samples.purchase_order(**{path: 1})


def test_set_path_replaces_list_items() -> None:
    data = {"tags": ["a", {"id": "x"}]}
    set_path(data, "tags.0", "b")
    set_path(data, "tags.x.name", "X")
    assert data == {"tags": ["b", {"id": "x", "name": "X"}]}
    with pytest.raises(SampleError, match="items by externalId/id: x"):
        set_path(data, "tags.y", 1)


def test_setting_a_value_below_a_scalar_is_refused() -> None:
    with pytest.raises(SampleError, match=r"'a\.0' is a str"):
        set_path({"a": ["x"]}, "a.0.b", 1)


def test_with_overrides_applies_the_same_rules_to_a_copy() -> None:
    order = samples.purchase_order(seed=3)
    changed = with_overrides(order, {"lines.0.quantity": 3, "external_ids": {}})
    assert changed["lines"][0]["quantity"] == 3
    assert changed["externalIds"] == {}
    assert order == samples.purchase_order(seed=3)  # the original is untouched
    assert with_overrides(samples.answer(), {"meta": 1})["meta"] == 1
    assert with_overrides({"id": "ACC-1"}, {"external_id": "X"}) == {
        "id": "ACC-1",
        "externalId": "X",
    }


def test_overrides_are_copied() -> None:
    value = {"client": "PO-1"}
    order = samples.purchase_order(external_ids=value)
    order["externalIds"]["client"] = "changed"
    assert value == {"client": "PO-1"}


# --- the parameters= shortcut -------------------------------------------------------------------


def test_parameters_shortcut_sets_values_by_external_id() -> None:
    order = samples.purchase_order(
        parameters={"companyName": "Fabrikam", "customerId": "C-1", "membershipId": REMOVE}
    )
    model = Order.from_dict(order)
    assert model.parameter("companyName").value == "Fabrikam"
    assert model.parameter("customerId").value == "C-1"  # fulfillment too
    assert "value" not in next(
        p for p in order["parameters"]["ordering"] if p["externalId"] == "membershipId"
    )
    assert (
        samples.enrollment(parameters={"partner_id": "1"})["parameters"]["ordering"][0]["value"]
        == "1"
    )
    openapi = samples.request(shape="openapi", parameters={"tenantDomain": "x"})
    assert openapi["parameters"][0]["value"] == "x"


def test_parameters_shortcut_names_the_known_ids_on_a_typo() -> None:
    with pytest.raises(SampleError, match=r"'companyNme'.*'companyName'"):
        samples.purchase_order(parameters={"companyNme": "x"})
    with pytest.raises(SampleError, match="'tenantDomain'"):
        samples.request(shape="openapi", parameters={"tenant": "x"})


def test_a_full_parameter_bag_replaces_the_bag() -> None:
    bag = {"ordering": [{"externalId": "seats", "value": "3"}], "fulfillment": []}
    order = samples.purchase_order(parameters=bag)
    assert order["parameters"] == bag
    order["parameters"]["ordering"].clear()
    assert bag["ordering"]
