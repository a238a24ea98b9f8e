//! Rules that give SQL the meaning PostgreSQL gives it where DataFusion's planner gives
//! another (a different answer, never an error): each is a DataFusion analyzer rule,
//! independent of the wire a query came by.

mod set_ops;

pub use set_ops::MultisetSetOperations;
