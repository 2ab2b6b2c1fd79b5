DELETE FROM stock s USING orders o WHERE s.id = o.id AND o.k = $1 RETURNING s.*;
