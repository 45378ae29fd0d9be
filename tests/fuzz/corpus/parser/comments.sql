-- leading comment
/* block
 comment */ SELECT a -- trailing
FROM t /* x */ ;
