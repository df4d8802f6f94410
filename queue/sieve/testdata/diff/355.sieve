# 355: date with a zone that is not +hhmm
require "date";
if date :zone "CET" "date" "year" "2024" { keep; }
