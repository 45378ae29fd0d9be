create temporary view)
