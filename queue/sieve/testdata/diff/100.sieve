# 100: envelope :domain
require ["envelope", "fileinto"];
if envelope :domain :is "from" "Example.NET" { fileinto "Dom"; }
