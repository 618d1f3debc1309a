from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


class MeApi(APIView):
    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        email = serializers.EmailField()
        name = serializers.CharField()

    @extend_schema(responses=OutputSerializer, summary="The signed-in user")
    def get(self, request: Request) -> Response:
        return Response(self.OutputSerializer(request.user).data)
