-- Failed attempt fees are charged to their positions once: emptying the table would leave
-- the positions charged for fees no row records.

create trigger failed_attempt_fees_before_truncate_refuse
before truncate on walltrack.failed_attempt_fees
for each statement execute function walltrack.trigger_refuse_change(
  'Failed attempt fees were paid on chain and moved their position: they are never rewritten.'
);
