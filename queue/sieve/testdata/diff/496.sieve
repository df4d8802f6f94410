# 496: Roundcube-style vacation whose range is over
require ["vacation", "date", "relational"];
if allof (currentdate :value "ge" "date" "2020-01-01", currentdate :value "le" "date" "2020-12-31")
{
	vacation :days 7 "Old.";
}
