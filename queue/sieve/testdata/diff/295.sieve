# 295: vacation and fileinto
require ["vacation", "fileinto"];
fileinto "Away";
vacation "Away.";
