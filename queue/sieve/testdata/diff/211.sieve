# 211: body :contains case-insensitive
require ["fileinto", "body"];
if body :contains "SHALL WE MEET" { fileinto "Case"; }
