# 495: Roundcube-style vacation with a date range
require ["vacation", "date", "relational"];
# rule:[Out of office]
if allof (currentdate :value "ge" "date" "2024-01-01", currentdate :value "le" "date" "2099-12-31")
{
	vacation :days 7 :subject "Out of office" :from "me@example.com" "I am out of the office.";
}
