# 292: vacation-seconds
require ["vacation", "vacation-seconds"];
vacation :seconds 3600 "Hourly.";
