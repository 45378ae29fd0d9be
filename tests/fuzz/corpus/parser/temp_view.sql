create temporary view v as select lower(status) s from payments p where p.amount between 1 and 10
