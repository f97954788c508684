"""Which practice question next: due reviews first, then unseen ones from weak topics."""

from __future__ import annotations

from bot.engine.actors import Place
from bot.engine.content import Question
from bot.engine.core import Kit
from bot.features.practice.cards import Ask


async def pick(
    kit: Kit,
    place: Place,
    topics: tuple[str, ...],
    difficulty: str | None,
    exclude: str = "",
    kind: str | None = None,
) -> tuple[Question | None, str]:
    """Due reviews first, then unseen questions leaning to the member's weakest topics."""
    selected = (await kit.bank_for(place.server.id)).select(topics, difficulty, kind)
    candidates = {q.id: q for q in selected if q.id != exclude}
    if not candidates:
        return None, ""
    store, rng = kit.store, kit.rng
    now = kit.clock()
    # At most `daily_reviews` reviews a day: after a week away the backlog comes back over
    # the following days, not as one wall.
    reviewed_today = await store.grades_on(place.member.id, place.member_day(now))
    if reviewed_today < kit.daily_reviews:
        for qid in await store.due_reviews(place.member.id, now):
            if qid in candidates:
                return candidates[qid], "due for review"
    seen = await store.seen_questions(place.member.id)
    unseen = [q for q in candidates.values() if q.id not in seen]
    if not unseen:
        return rng.choice(sorted(candidates.values(), key=lambda q: q.id)), "a repeat"
    results = await store.topic_results(place.member.id)
    by_topic: dict[str, list[Question]] = {}
    for q in sorted(unseen, key=lambda q: q.id):
        by_topic.setdefault(q.topic, []).append(q)
    slugs = sorted(by_topic)
    # Success rate with a prior of one pass and one fail: unknown topics sit in the middle.
    weights = []
    for slug in slugs:
        graded, good = results.get(slug, (0, 0))
        weakness = 1 - (good + 1) / (graded + 2)
        weights.append(0.25 + weakness)
    slug = rng.choices(slugs, weights=weights)[0]
    weak = results.get(slug, (0, 0))[0] > 0 and weights[slugs.index(slug)] > 0.75
    return rng.choice(by_topic[slug]), "a weak topic" if weak else "new to you"


async def resolve_question(
    kit: Kit, place: Place, target: Ask
) -> tuple[Question | None, int | None]:
    """The question a button points at (a post of this server, or an id), else the member's
    current one; with the post it came from, if any."""
    bank, store = await kit.bank_for(place.server.id), kit.store
    if target.post_id is not None:
        post = await store.post(target.post_id)
        if post is None or post.server_id != place.server.id:
            return None, None
        return bank.get(post.question_id), post.id
    if target.question_id:
        return bank.get(target.question_id), None
    stats = await store.stats(place.server.id, place.member.id)
    if stats is None or not stats.current_question_id:
        return None, None
    return bank.get(stats.current_question_id), stats.current_post_id
