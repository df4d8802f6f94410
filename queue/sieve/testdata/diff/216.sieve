# 216: date month and day
require ["fileinto", "date", "variables"];
if allof (date :originalzone :is "date" "month" "01", date :originalzone :is "date" "day" "02") { fileinto "Jan2"; }
