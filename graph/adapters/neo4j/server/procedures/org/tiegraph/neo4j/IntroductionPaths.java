package org.tiegraph.neo4j;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.neo4j.graphdb.Direction;
import org.neo4j.graphdb.Label;
import org.neo4j.graphdb.Node;
import org.neo4j.graphdb.Relationship;
import org.neo4j.graphdb.RelationshipType;
import org.neo4j.graphdb.Transaction;
import org.neo4j.procedure.Context;
import org.neo4j.procedure.Description;
import org.neo4j.procedure.Mode;
import org.neo4j.procedure.Name;
import org.neo4j.procedure.Procedure;
import org.neo4j.procedure.TerminationGuard;
import org.neo4j.procedure.UserFunction;

/**
 * Introduction paths searched inside the database: the same pruned, layered top-k search as
 * the Cypher query of graph/adapters/neo4j/cypher.py (introduction_paths_query), run over the
 * Core API instead of Cypher's interpreted runtime. The two must give the same paths; the
 * store's contract tests run both.
 *
 * <p>The search grows partial paths from the person with fewer ties ({@code a}) one hop per
 * layer; each layer first closes its paths into the other person ({@code b}), then grows the
 * rest. When {@code b} has at most {@code farSetLimit} ties, or fewer than the people a layer
 * ends at have between them, its usable links are scored once ({@code far}): closing is then a
 * lookup, the last growth only follows ties into {@code far}, and {@code farBest}, the
 * strongest link into {@code b}, bounds every path still to be closed. (The Cypher query
 * decides by {@code farSetLimit} alone; either way the answers are the same.)
 * Link strengths are at most 1, so a partial path whose score times {@code farBest} cannot
 * reach the k-th best path found so far ({@code bar}) is dropped. SHORTEST stops growing at
 * the first layer that reaches {@code b}. A block holds along the whole path.
 *
 * <p>Paths are returned unranked, source to target; the calling query ranks and limits them.
 */
public final class IntroductionPaths {
    /** The digest of the sources this was built from (written into the jar by the build). */
    private static final String VERSION = readVersion();

    private static final Label PERSON = Label.label("Person");
    private static final RelationshipType TIE = RelationshipType.withName("TIE");
    private static final String[] NONE = new String[0];
    /** Starts the message of a search refused for its size (the store looks for it). */
    public static final String TOO_LARGE = "tiegraph: search too large";

    @Context
    public Transaction tx;

    @Context
    public TerminationGuard guard;

    /** One path found: the people's ids and the strength of each link, source to target. */
    public static final class PathRow {
        public List<String> ids;
        public List<Double> links;

        PathRow(List<String> ids, List<Double> links) {
            this.ids = ids;
            this.links = links;
        }
    }

    /** The work one search did: what it read, and what it found before ranking. */
    public static final class WorkRow {
        public long relationships;
        public long people;
        public long found;

        WorkRow(long relationships, long people, long found) {
            this.relationships = relationships;
            this.people = people;
            this.found = found;
        }
    }

    private static String readVersion() {
        try (InputStream in = IntroductionPaths.class.getResourceAsStream("version.txt")) {
            return in == null ? "unknown" : new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
        } catch (IOException error) {
            return "unknown";
        }
    }

    @UserFunction(name = "tiegraph.proceduresVersion")
    @Description("The version of tiegraph's procedures installed on this server.")
    public String proceduresVersion() {
        return VERSION;
    }

    @Procedure(name = "tiegraph.introductionPaths", mode = Mode.READ)
    @Description(
            "Introduction paths of at most maxHops links from source to target, pruned to those"
                    + " that can rank among the first; unranked.")
    public Stream<PathRow> introductionPaths(
            @Name("source") String source,
            @Name("target") String target,
            @Name("maxHops") long maxHops,
            @Name("first") long first,
            @Name("shortest") boolean shortest,
            @Name("minStrength") double minStrength,
            @Name("kinds") List<String> kinds,
            @Name("farSetLimit") long farSetLimit,
            @Name("maxPartials") long maxPartials,
            @Name("strength") Map<String, Object> strength) {
        Search search =
                new Search(guard, (int) first, shortest, minStrength, kinds, maxPartials, strength);
        return search.run(tx, source, target, maxHops, farSetLimit).stream();
    }

    @Procedure(name = "tiegraph.introductionPathsWork", mode = Mode.READ)
    @Description(
            "The work tiegraph.introductionPaths does for the same arguments: relationships and"
                    + " people read, paths found before ranking.")
    public Stream<WorkRow> introductionPathsWork(
            @Name("source") String source,
            @Name("target") String target,
            @Name("maxHops") long maxHops,
            @Name("first") long first,
            @Name("shortest") boolean shortest,
            @Name("minStrength") double minStrength,
            @Name("kinds") List<String> kinds,
            @Name("farSetLimit") long farSetLimit,
            @Name("maxPartials") long maxPartials,
            @Name("strength") Map<String, Object> strength) {
        Search search =
                new Search(guard, (int) first, shortest, minStrength, kinds, maxPartials, strength);
        List<PathRow> rows = search.run(tx, source, target, maxHops, farSetLimit);
        return Stream.of(new WorkRow(search.relationships, search.people.size(), rows.size()));
    }

    /** What the search needs to know of a person, read once per search. */
    private record Person(String id, String[] blocked, boolean intermediary, boolean person) {
        boolean blocks(String other) {
            for (String id : blocked) {
                if (id.equals(other)) {
                    return true;
                }
            }
            return false;
        }
    }

    /** A path from {@code a} that ends at {@code node}, with every id its people blocked. */
    private record Partial(
            Node node, String[] ids, double[] links, double score, String[] blocked) {
        boolean passes(String id) {
            return contains(ids, id);
        }

        Partial grow(Node next, Person person, double w) {
            String[] moreIds = Arrays.copyOf(ids, ids.length + 1);
            moreIds[ids.length] = person.id();
            double[] moreLinks = Arrays.copyOf(links, links.length + 1);
            moreLinks[links.length] = w;
            return new Partial(next, moreIds, moreLinks, score * w, concat(blocked, person.blocked()));
        }
    }

    private static final class Search {
        private final TerminationGuard guard;
        private final int first;
        private final boolean shortest;
        private final double minStrength;
        private final long maxPartials;
        private final String[] kinds;
        private final LinkStrength strength;
        private final Map<Node, Person> people = new HashMap<>();
        private final List<Partial> found = new ArrayList<>();
        private long relationships;
        /** b's usable links by neighbour, once scored; null before. */
        private Map<Node, List<Double>> far;
        /** The strongest of them; 1 (no bound) before. */
        private double farBest = 1.0;

        Search(
                TerminationGuard guard,
                int first,
                boolean shortest,
                double minStrength,
                List<String> kinds,
                long maxPartials,
                Map<String, Object> strength) {
            this.guard = guard;
            this.first = first;
            this.shortest = shortest;
            this.minStrength = minStrength;
            this.maxPartials = maxPartials;
            this.kinds = kinds == null ? null : kinds.toArray(NONE);
            this.strength = new LinkStrength(strength);
        }

        List<PathRow> run(
                Transaction tx, String source, String target, long maxHops, long farSetLimit) {
            Node s = tx.findNode(PERSON, "id", source);
            Node t = tx.findNode(PERSON, "id", target);
            if (s == null || t == null || maxHops < 1 || first < 1) {
                return List.of();
            }
            return run(s, t, (int) Math.min(maxHops, 16), farSetLimit);
        }

        private List<PathRow> run(Node s, Node t, int maxHops, long farSetLimit) {
            int sTies = s.getDegree(TIE, Direction.BOTH);
            int tTies = t.getDegree(TIE, Direction.BOTH);
            boolean forward = sTies <= tTies;
            Node a = forward ? s : t;
            Node b = forward ? t : s;
            int bTies = forward ? tTies : sTies;
            Person pa = person(a);
            Person pb = person(b);

            List<Partial> grown = new ArrayList<>();
            forUsableLinks(a, pa, ANYONE, (y, py, w) -> {
                hold(grown.size() + 1);
                grown.add(
                        new Partial(
                                y,
                                new String[] {pa.id(), py.id()},
                                new double[] {w},
                                w,
                                concat(pa.blocked(), py.blocked())));
            });

            // The far end: b's usable links, scored once, when b has few enough ties (or as
            // soon as closing the frontier by its own ties would read more than b's).
            if (bTies <= farSetLimit) {
                scoreFarEnd(b, pb);
            }

            List<Partial> frontier = new ArrayList<>();
            for (Partial p : grown) {
                if (p.node().equals(b)) {
                    found.add(p);
                } else if (person(p.node()).intermediary()) {
                    frontier.add(p);
                }
            }
            for (int hops = 2; hops <= maxHops; hops++) {
                if (far == null && bTies <= tiesOfEnds(frontier)) {
                    scoreFarEnd(b, pb);
                }
                close(frontier, b, pb);
                if (hops < maxHops) {
                    frontier = grow(frontier, b, hops == maxHops - 1);
                }
            }

            List<PathRow> rows = new ArrayList<>(found.size());
            for (Partial p : found) {
                List<String> ids = new ArrayList<>(Arrays.asList(p.ids()));
                List<Double> links = new ArrayList<>(p.links().length);
                for (double w : p.links()) {
                    links.add(w);
                }
                if (!forward) {
                    java.util.Collections.reverse(ids);
                    java.util.Collections.reverse(links);
                }
                rows.add(new PathRow(ids, links));
            }
            return rows;
        }

        /** Score b's usable links once: closing is then a lookup, and the best of them bounds
         * every path still to be closed. */
        private void scoreFarEnd(Node b, Person pb) {
            Map<Node, List<Double>> links = new HashMap<>();
            farBest = 0.0;
            forUsableLinks(b, pb, ANYONE, (y, py, w) -> {
                links.computeIfAbsent(y, k -> new ArrayList<>()).add(w);
                farBest = Math.max(farBest, w);
            });
            far = links;
        }

        /**
         * Hand each usable link of {@code x} to {@code link}: a tie to a person other than
         * those {@code skip} names (tested before the person is read), of a kind asked for,
         * between two people neither of whom blocked the other, at least {@code minStrength}.
         */
        private void forUsableLinks(Node x, Person px, Predicate<Node> skip, Link link) {
            for (Relationship r : x.getRelationships(Direction.BOTH, TIE)) {
                guard.check();
                relationships++;
                Node y = r.getOtherNode(x);
                if (skip.test(y)) {
                    continue;
                }
                Person py = person(y);
                if (!py.person() || !walkable(r) || apart(px, py)) {
                    continue;
                }
                double w = strength.of(r);
                if (w >= minStrength) {
                    link.accept(y, py, w);
                }
            }
        }

        /** The ties of the people the frontier ends at, each counted once. */
        private static long tiesOfEnds(List<Partial> frontier) {
            Set<Node> seen = new HashSet<>();
            long ties = 0;
            for (Partial p : frontier) {
                if (seen.add(p.node())) {
                    ties += p.node().getDegree(TIE, Direction.BOTH);
                }
            }
            return ties;
        }

        /** The score a partial path must reach to be kept. */
        private double bar() {
            if (shortest) {
                return found.isEmpty() ? 0.0 : 2.0;
            }
            if (found.size() < first) {
                return 0.0;
            }
            double[] scores = new double[found.size()];
            for (int i = 0; i < scores.length; i++) {
                scores[i] = found.get(i).score();
            }
            Arrays.sort(scores);
            return scores[scores.length - first];
        }

        /** The frontier's partial paths that can still reach {@code bar}, by the node they end at. */
        private Map<Node, List<Partial>> byEnd(List<Partial> frontier, double bar) {
            Map<Node, List<Partial>> ends = new LinkedHashMap<>();
            for (Partial p : frontier) {
                if (p.score() * farBest >= bar) {
                    ends.computeIfAbsent(p.node(), k -> new ArrayList<>()).add(p);
                }
            }
            return ends;
        }

        /** The paths one hop longer that end at {@code b}. */
        private void close(List<Partial> frontier, Node b, Person pb) {
            double bar = bar();
            List<Partial> closed = new ArrayList<>();
            for (Map.Entry<Node, List<Partial>> end : byEnd(frontier, bar).entrySet()) {
                guard.check();
                Node x = end.getKey();
                List<Partial> partials = end.getValue();
                double best = best(partials);
                List<Double> ws;
                if (far != null) {
                    ws = far.getOrDefault(x, List.of());
                } else {
                    List<Double> intoB = new ArrayList<>();
                    Person px = person(x);
                    if (!apart(px, pb)) {
                        forUsableLinks(x, px, y -> !y.equals(b), (y, py, w) -> intoB.add(w));
                    }
                    ws = intoB;
                }
                for (double w : ws) {
                    if (!(best * w >= bar)) {
                        continue;
                    }
                    for (Partial p : partials) {
                        if (p.score() * w >= bar
                                && !contains(p.blocked(), pb.id())
                                && !anyIn(p.ids(), pb.blocked())) {
                            hold(found.size() + closed.size() + 1);
                            closed.add(p.grow(b, pb, w));
                        }
                    }
                }
            }
            found.addAll(closed);
        }

        /** One more hop from each person the frontier ends at, to anyone but {@code b}; the
         * last growth only to b's neighbours, when they are known. */
        private List<Partial> grow(List<Partial> frontier, Node b, boolean last) {
            double bar = bar();
            Map<Node, List<Double>> towards = last ? far : null;
            Predicate<Node> skip = y -> (towards != null && !towards.containsKey(y)) || y.equals(b);
            List<Partial> grown = new ArrayList<>();
            for (Map.Entry<Node, List<Partial>> end : byEnd(frontier, bar).entrySet()) {
                Node x = end.getKey();
                List<Partial> partials = end.getValue();
                double best = best(partials);
                forUsableLinks(x, person(x), skip, (y, py, w) -> {
                    if (!(best * w * farBest >= bar)) {
                        return;
                    }
                    for (Partial p : partials) {
                        if (p.score() * w * farBest >= bar
                                && !p.passes(py.id())
                                && !contains(p.blocked(), py.id())
                                && !anyIn(p.ids(), py.blocked())) {
                            if (py.intermediary()) {
                                hold(grown.size() + 1);
                                grown.add(p.grow(y, py, w));
                            }
                        }
                    }
                });
            }
            return grown;
        }

        /** Refuse to hold more partial paths than allowed: a search between two people with
         * thousands of ties and no short path between them would otherwise fill the heap. */
        private void hold(long partials) {
            if (partials > maxPartials) {
                throw new IllegalStateException(
                        TOO_LARGE + ": more than " + maxPartials + " partial paths");
            }
        }

        private static double best(List<Partial> partials) {
            double best = Double.NEGATIVE_INFINITY;
            for (Partial p : partials) {
                best = Math.max(best, p.score());
            }
            return best;
        }

        /** Whether the tie may be walked: it has contact of one of the kinds asked for. */
        private boolean walkable(Relationship r) {
            if (kinds == null) {
                return true;
            }
            for (String kind : kinds) {
                if (r.getProperty(kind, null) != null) {
                    return true;
                }
            }
            return false;
        }

        private Person person(Node node) {
            Person known = people.get(node);
            if (known != null) {
                return known;
            }
            boolean isPerson = node.hasLabel(PERSON);
            Object id = node.getProperty("id", null);
            Object blocked = node.getProperty("blocked_ids", null);
            Object intermediary = node.getProperty("intermediary", null);
            Person found =
                    new Person(
                            id instanceof String text ? text : "",
                            blocked instanceof String[] list ? list : NONE,
                            !(intermediary instanceof Boolean flag) || flag,
                            isPerson && id instanceof String);
            people.put(node, found);
            return found;
        }

        /** Whether one of the two blocked the other. */
        private static boolean apart(Person one, Person other) {
            return one.blocks(other.id()) || other.blocks(one.id());
        }
    }

    /**
     * graph.domain.relationship.link_strength as the Cypher query spells it (cypher.py,
     * _LINK_STRENGTH), operation for operation, so both give the same doubles.
     */
    private static final class LinkStrength {
        private final String[] counters;
        private final double nowS;
        private final double halfLifeS;
        private final double oneWay;
        private final double saturation;
        private final double longevityHalfS;
        private final double diversityKinds;
        private final double base;
        private final double wDiv;
        private final double wLong;
        private final double traceWeight;
        private final double traceScaleS;

        LinkStrength(Map<String, Object> p) {
            Object names = p.get("counters");
            counters = names instanceof List<?> list ? list.toArray(NONE) : NONE;
            nowS = number(p, "now_s");
            halfLifeS = number(p, "half_life_s");
            oneWay = number(p, "one_way");
            saturation = number(p, "saturation");
            longevityHalfS = number(p, "longevity_half_s");
            diversityKinds = number(p, "diversity_kinds");
            base = number(p, "base");
            wDiv = number(p, "w_div");
            wLong = number(p, "w_long");
            traceWeight = number(p, "trace_weight");
            traceScaleS = number(p, "trace_scale_s");
        }

        private static double number(Map<String, Object> p, String name) {
            if (p.get(name) instanceof Number n) {
                return n.doubleValue();
            }
            throw new IllegalArgumentException("strength." + name + " must be a number");
        }

        /** The link's strength, or NaN (never walked) when the tie lacks what it needs. */
        double of(Relationship r) {
            Double last = seconds(r.getProperty("last_at", null));
            Double first = seconds(r.getProperty("first_at", null));
            if (!(r.getProperty("score", null) instanceof Number score) || last == null || first == null) {
                return Double.NaN;
            }
            double byA = r.getProperty("score_by_a", null) instanceof Number n ? n.doubleValue() : 0.0;
            double byB = r.getProperty("score_by_b", null) instanceof Number n ? n.doubleValue() : 0.0;
            double eff = score.doubleValue() - (1 - oneWay) * Math.abs(byA - byB);
            long kinds = 0;
            for (String counter : counters) {
                if (r.getProperty(counter, null) instanceof Number n && n.doubleValue() > 0) {
                    kinds++;
                }
            }
            double q =
                    base
                            + wDiv * (kinds >= diversityKinds ? 1.0 : (double) kinds / diversityKinds)
                            + wLong * (1 - Math.pow(2.0, -(last - first) / longevityHalfS));
            double mass =
                    Math.log(eff * q > 1e-12 ? eff * q : 1e-12)
                            - Math.log(2.0) * (nowS > last ? nowS - last : 0.0) / halfLifeS;
            double y = mass < 700 ? Math.log(2.0) * Math.exp(mass) / saturation : 1e300;
            double ageEff =
                    mass < Math.log(saturation)
                            ? (Math.log(saturation) - mass) / Math.log(2.0) * halfLifeS / traceScaleS
                            : 0.0;
            double saturated =
                    y < 0.001
                            ? y - Math.pow(y, 2) / 2 + Math.pow(y, 3) / 6 - Math.pow(y, 4) / 24
                            : 1 - Math.exp(-y);
            return (1 - traceWeight) * saturated + traceWeight / (1 + ageEff);
        }

        private static Double seconds(Object value) {
            if (value instanceof ZonedDateTime z) {
                return z.toEpochSecond() + z.getNano() / 1000000000.0;
            }
            if (value instanceof OffsetDateTime o) {
                return o.toEpochSecond() + o.getNano() / 1000000000.0;
            }
            return null;
        }
    }

    /** What {@link Search#forUsableLinks} hands on: the other end, who they are, the strength. */
    @FunctionalInterface
    private interface Link {
        void accept(Node other, Person person, double strength);
    }

    private static final Predicate<Node> ANYONE = node -> false;

    private static boolean contains(String[] ids, String id) {
        for (String each : ids) {
            if (each.equals(id)) {
                return true;
            }
        }
        return false;
    }

    private static boolean anyIn(String[] ids, String[] blocked) {
        for (String id : ids) {
            if (contains(blocked, id)) {
                return true;
            }
        }
        return false;
    }

    private static String[] concat(String[] one, String[] other) {
        if (other.length == 0) {
            return one;
        }
        if (one.length == 0) {
            return other;
        }
        String[] both = Arrays.copyOf(one, one.length + other.length);
        System.arraycopy(other, 0, both, one.length, other.length);
        return both;
    }
}
