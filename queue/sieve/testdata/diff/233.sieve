# 233: date :zone without a date part argument is invalid
require ["fileinto", "date", "variables"];
if date :zone "+0100" "date" "2024" { keep; }
