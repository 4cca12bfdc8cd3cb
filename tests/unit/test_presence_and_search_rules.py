"""Who shows first in a directory, and the words a Helper is found by."""
import pytest

from chalicelib.domain.presence import Status, listing_rank, ranking_rating, status_for
from chalicelib.domain.search import (
    MAX_QUERY_WORDS,
    MAX_TERMS_PER_PAGE,
    index_terms,
    partition_of,
    query_terms,
)

# The directory order


def test_online_helpers_come_before_busy_ones_and_busy_before_offline_whatever_their_rating():
    online_unrated = listing_rank(Status.ONLINE, 0, 0, "zz")
    busy_top_rated = listing_rank(Status.BUSY, 50, 10, "aa")
    offline_top_rated = listing_rank(Status.OFFLINE, 50, 10, "aa")
    assert online_unrated < busy_top_rated < offline_top_rated


def test_within_a_status_the_higher_rating_comes_first():
    assert listing_rank(Status.ONLINE, 49, 10, "zz") < listing_rank(Status.ONLINE, 45, 10, "aa")


def test_one_five_star_review_does_not_outrank_a_hundred_four_point_nines():
    assert listing_rank(Status.ONLINE, 490, 100, "zz") < listing_rank(Status.ONLINE, 5, 1, "aa")


def test_a_helper_without_reviews_ranks_at_the_prior_between_well_and_poorly_rated_ones():
    assert ranking_rating(0, 0) == 400
    well, unrated, poorly = (listing_rank(Status.OFFLINE, 45, 10, "c"), listing_rank(Status.OFFLINE, 0, 0, "b"),
                             listing_rank(Status.OFFLINE, 10, 5, "a"))
    assert well < unrated < poorly


def test_the_ranking_rating_is_integer_and_moves_toward_the_real_average_with_more_reviews():
    assert ranking_rating(5, 1) == 416  # (5 x 400 + 500) // 6
    assert ranking_rating(490, 100) == 485
    assert ranking_rating(4900, 1000) == 489


def test_equal_ratings_are_ordered_by_user_id_so_the_order_is_total():
    assert listing_rank(Status.BUSY, 9, 2, "u1") < listing_rank(Status.BUSY, 9, 2, "u2")


def test_ranks_sorted_as_plain_strings_give_the_directory_order():
    helpers = [  # (status, rating_total, rating_count, user_id): the ranking rating
        (Status.OFFLINE, 500, 100, "h01"),  # 4.95
        (Status.ONLINE, 1, 20, "h02"),  # 0.84
        (Status.ONLINE, 499, 100, "h03"),  # 4.94
        (Status.BUSY, 0, 0, "h04"),  # unrated: 4.00
        (Status.ONLINE, 5, 1, "h05"),  # 4.16
        (Status.ONLINE, 45, 10, "h06"),  # 4.33
        (Status.BUSY, 40, 10, "h07"),  # 4.00, ties with h04
        (Status.ONLINE, 0, 0, "h08"),  # unrated: 4.00
        (Status.OFFLINE, 3, 3, "h09"),  # 2.87
        (Status.ONLINE, 9, 10, "h10"),  # 1.93
        (Status.ONLINE, 45, 10, "h00"),  # 4.33, ties with h06
    ]
    by_rank = sorted(helpers, key=lambda h: listing_rank(*h))
    assert [h[3] for h in by_rank] == ["h03", "h00", "h06", "h05", "h08", "h10", "h02",
                                       "h04", "h07", "h01", "h09"]


# Status


@pytest.mark.parametrize("open_connections, in_call, status", [
    (0, False, Status.OFFLINE),
    (-1, False, Status.OFFLINE),
    (0, True, Status.OFFLINE),
    (1, False, Status.ONLINE),
    (3, False, Status.ONLINE),
    (1, True, Status.BUSY),
])
def test_any_open_tab_makes_a_person_online_and_a_call_makes_them_busy(open_connections, in_call, status):
    assert status_for(open_connections, in_call) is status


def test_with_no_tab_open_call_alerts_make_a_person_reachable_and_a_tab_outranks_them():
    assert status_for(0, alerts=True) is Status.REACHABLE
    assert status_for(1, alerts=True) is Status.ONLINE and status_for(1, True, alerts=True) is Status.BUSY
    ranks = [listing_rank(status, 0, 0, "a") for status in (Status.ONLINE, Status.BUSY, Status.REACHABLE,
                                                            Status.OFFLINE)]
    assert ranks == sorted(ranks)


def test_statuses_are_the_words_the_api_sends():
    assert [s.value for s in Status] == ["online", "busy", "reachable", "offline"]


# Index terms


def test_accents_are_folded_when_indexing():
    assert index_terms("Café Crème Brûlée") == {"cafe", "creme", "brulee"}


def test_case_is_folded_when_indexing():
    assert index_terms("PLUMBER Plumber plumber") == {"plumber"}


def test_stop_words_and_one_letter_words_are_not_indexed():
    assert index_terms("I am the plumber for a leak and the drain") == {"am", "plumber", "leak", "drain"}


def test_words_longer_than_thirty_letters_are_not_indexed():
    assert index_terms("x" * 31 + " fix " + "y" * 30) == {"fix", "y" * 30}


def test_every_text_is_indexed_once_per_distinct_word():
    assert index_terms("Ada Lovelace", "ada", "Maths tutor", "I tutor maths", "Mathematics") == \
        {"ada", "lovelace", "maths", "tutor", "mathematics"}


def test_punctuation_splits_words_and_digits_are_kept():
    assert index_terms("24/7 e-mail help; C++ & node.js") == {"24", "mail", "help", "node", "js"}


def test_a_page_has_at_most_400_terms():
    many = " ".join(f"w{n:04d}" for n in range(1000))
    assert len(index_terms(many)) == MAX_TERMS_PER_PAGE == 400


def test_a_long_offer_never_pushes_out_the_helpers_name_or_categories():
    offer = " ".join(f"a{n:03d}" for n in range(450))  # 2,249 characters, well under the 5,000 allowed
    terms = index_terms("Zed", "zed", "Plumber", offer, "Plumbing")
    assert {"zed", "plumber", "plumbing"} <= terms


# Query terms


def test_a_query_is_folded_the_same_way_as_the_index():
    assert query_terms("Électricien  CAFÉ") == ["electricien", "cafe"]


def test_a_query_keeps_its_word_order_and_drops_repeats_stop_words_and_single_letters():
    assert query_terms("the Leak and a leak x plumb") == ["leak", "plumb"]


def test_a_query_of_only_stop_words_or_punctuation_has_no_terms():
    assert query_terms("the and of a") == []
    assert query_terms("  ?! -- ") == []


def test_a_query_uses_at_most_five_words():
    assert query_terms("one two three four five six seven") == ["one", "two", "three", "four", "five"]
    assert MAX_QUERY_WORDS == 5


def test_repeats_do_not_use_up_the_five_words():
    assert query_terms("leak leak leak leak leak drain") == ["leak", "drain"]


# Partitions


def test_a_term_is_stored_under_its_first_two_letters():
    assert partition_of("plumbing") == "pl"
    assert partition_of("24") == "24"


def test_a_prefix_of_a_term_lives_in_the_same_partition_as_the_term():
    for prefix in ["pl", "plu", "plumb"]:
        assert partition_of(prefix) == partition_of("plumbing")
