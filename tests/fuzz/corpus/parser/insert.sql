INSERT INTO decisions SELECT p.*, 'review' AS decision FROM payments p WHERE status = 'failed';
