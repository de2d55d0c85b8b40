"""Neo4j adapter: the graph store on a Neo4j server, and a way to run one locally."""
