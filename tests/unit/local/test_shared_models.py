"""botocore loaders configured alike share their parsed models while a runtime runs; loaders
configured differently (moto's, with its extras) keep their own."""

from __future__ import annotations

import boto3
import botocore.loaders
import botocore.session
from arrears.local import shared_models
from moto.core.loaders import create_loader as create_moto_loader


def test_two_sessions_alike_get_the_same_parsed_model():
    # given two boto3 sessions made while loaders share
    with shared_models.loaders_sharing_models():
        first = boto3.session.Session()._loader
        second = boto3.session.Session()._loader

        # when each loads the Step Functions model
        model = first.load_service_model("stepfunctions", "service-2")

        # then the second is handed the model the first parsed
        assert second.load_service_model("stepfunctions", "service-2") is model


def test_moto_extras_stay_out_of_the_clients_model():
    # given moto's loader (its extras make SQS answers look like the query protocol's) and a
    # client's, both made while loaders share
    with shared_models.loaders_sharing_models():
        moto_model = create_moto_loader().load_service_model("sqs", "service-2")
        client_model = boto3.session.Session()._loader.load_service_model("sqs", "service-2")

    # then moto's extras are in moto's model only
    assert moto_model["operations"]["CreateQueue"]["output"]["resultWrapper"]
    assert "resultWrapper" not in client_model["operations"]["CreateQueue"]["output"]


def test_a_loader_follows_the_search_path_added_after_it_was_made():
    # given a plain botocore loader, then the same loader with one more search path
    with shared_models.loaders_sharing_models():
        plain = botocore.session.Session().get_component("data_loader")
        widened = botocore.session.Session().get_component("data_loader")
        widened.search_paths.append("/nonexistent/models")

        # when both list their services
        listed = plain.list_available_services("service-2")

        # then the widened loader has a cache of its own, not the plain one's list
        assert widened.list_available_services("service-2") is not listed
        assert widened.list_available_services("service-2") == listed


def test_loaders_made_after_the_block_keep_their_own_cache():
    with shared_models.loaders_sharing_models():
        pass

    first, second = botocore.loaders.Loader(), botocore.loaders.Loader()

    assert first.load_service_model("sqs", "service-2") is not second.load_service_model(
        "sqs", "service-2"
    )


def test_the_check_names_a_botocore_loader_that_no_longer_caches_in_self_cache(monkeypatch):
    # given a botocore whose Loader keeps its cache under another name
    def init(self, *args, **kwargs):  # pragma: no cover - never called
        self._memo = {}

    monkeypatch.setattr(botocore.loaders.Loader, "__init__", init)

    # when the internals are checked, then the report names it
    assert any("self._cache" in p for p in shared_models.problems())
